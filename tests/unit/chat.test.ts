import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chatTemplateOf, endOfTurnToken, renderChat, type ChatMessage } from '../../src/model/chat';
import { TextTokenizer } from '../../src/model/tokenizer';
import { BYTE_TOKENIZER_CONFIG, byteTokenizerJson } from '../helpers/byte_tokenizer';
import { CHAT_SPECIALS, chatTokenizerFiles } from '../helpers/chat_tokenizer';

// The chat templates as published in each model's tokenizer_config.json (see "from" in the file).
const TEMPLATES = JSON.parse(readFileSync(new URL('../fixtures/chat_templates.json', import.meta.url), 'utf8')) as Record<string, { chat_template: string }>;
const GEMMA = TEMPLATES['google/gemma-3-1b-it'].chat_template;
const LLAMA = TEMPLATES['meta-llama/Llama-3.1-8B-Instruct'].chat_template;
const QWEN = TEMPLATES['Qwen/Qwen3-0.6B'].chat_template;

const CONVERSATION: ChatMessage[] = [
  { role: 'user', content: 'What is your physical form?' },
  { role: 'assistant', content: 'I am a large language model.' },
  { role: 'user', content: 'Are you sure?' },
];
const gen = { addGenerationPrompt: true };

describe('chat templates (@huggingface/jinja)', () => {
  it('renders Gemma 3\'s template: <bos>, turns, the model\'s turn opened', () => {
    expect(renderChat(GEMMA, CONVERSATION.slice(0, 1), { bosToken: '<bos>', eosToken: '<eos>', ...gen })).toBe(
      '<bos><start_of_turn>user\nWhat is your physical form?<end_of_turn>\n<start_of_turn>model\n',
    );
    expect(renderChat(GEMMA, CONVERSATION, { bosToken: '<bos>', eosToken: '<eos>', ...gen })).toBe(
      '<bos><start_of_turn>user\nWhat is your physical form?<end_of_turn>\n' +
        '<start_of_turn>model\nI am a large language model.<end_of_turn>\n' +
        '<start_of_turn>user\nAre you sure?<end_of_turn>\n<start_of_turn>model\n',
    );
    // a system message goes in front of the first user turn
    expect(renderChat(GEMMA, [{ role: 'system', content: 'Be brief.' }, CONVERSATION[0]], { bosToken: '<bos>', eosToken: '<eos>', ...gen })).toBe(
      '<bos><start_of_turn>user\nBe brief.\n\nWhat is your physical form?<end_of_turn>\n<start_of_turn>model\n',
    );
  });

  it('renders Llama 3.1\'s template (default system header with its dates) and Qwen 3\'s', () => {
    expect(renderChat(LLAMA, CONVERSATION, { bosToken: '<|begin_of_text|>', eosToken: '<|eot_id|>', ...gen })).toBe(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nWhat is your physical form?<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\nI am a large language model.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nAre you sure?<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\n',
    );
    expect(renderChat(QWEN, CONVERSATION, { bosToken: null, eosToken: '<|im_end|>', ...gen })).toBe(
      '<|im_start|>user\nWhat is your physical form?<|im_end|>\n' +
        '<|im_start|>assistant\nI am a large language model.<|im_end|>\n' +
        '<|im_start|>user\nAre you sure?<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('finds each template\'s end-of-turn token among the added tokens', () => {
    const specials = ['<bos>', '<eos>', '<start_of_turn>', '<end_of_turn>', '<|begin_of_text|>', '<|eot_id|>', '<|start_header_id|>', '<|end_header_id|>', '<|im_start|>', '<|im_end|>'];
    expect(endOfTurnToken(GEMMA, specials, { bosToken: '<bos>', eosToken: '<eos>' })).toBe('<end_of_turn>');
    expect(endOfTurnToken(LLAMA, specials, { bosToken: '<|begin_of_text|>', eosToken: '<|eot_id|>' })).toBe('<|eot_id|>');
    expect(endOfTurnToken(QWEN, specials, { bosToken: null, eosToken: '<|im_end|>' })).toBe('<|im_end|>');
  });

  it('says what is wrong: roles that do not alternate, a bad template', () => {
    const twice: ChatMessage[] = [CONVERSATION[0], CONVERSATION[0]];
    expect(() => renderChat(GEMMA, twice, { bosToken: '<bos>', eosToken: '<eos>', ...gen })).toThrow(
      expect.objectContaining({ name: 'ChatTemplateError', message: expect.stringContaining('Conversation roles must alternate') }),
    );
    expect(() => renderChat('{% if %}', CONVERSATION, { bosToken: '', eosToken: '', ...gen })).toThrow(expect.objectContaining({ name: 'ChatTemplateError' }));
    expect(() => renderChat(GEMMA, [], { bosToken: '<bos>', eosToken: '<eos>', ...gen })).toThrow(/empty/);
  });

  it('reads chat_template from tokenizer_config.json: a string, or the "default" of a list', () => {
    expect(chatTemplateOf({ chat_template: 'x' })).toBe('x');
    expect(chatTemplateOf({ chat_template: [{ name: 'tool_use', template: 't' }, { name: 'default', template: 'd' }] })).toBe('d');
    expect(chatTemplateOf({})).toBeNull();
  });

  it('prefers chat_template.jinja, where newer repos keep the template, over tokenizer_config.json', () => {
    const files = chatTokenizerFiles('{{ "from the config" }}');
    expect(TextTokenizer.fromJson(files.tokenizer, files.config).chatTemplate).toBe('{{ "from the config" }}');
    expect(TextTokenizer.fromJson(files.tokenizer, files.config, GEMMA).chatTemplate).toBe(GEMMA);
    expect(TextTokenizer.fromJson(byteTokenizerJson(), BYTE_TOKENIZER_CONFIG, GEMMA).chatTemplate).toBe(GEMMA);
  });
});

describe('TextTokenizer: BOS and chat', () => {
  const files = chatTokenizerFiles(GEMMA);
  const tok = TextTokenizer.fromJson(files.tokenizer, files.config);

  it('starts a raw prompt with <bos> when tokenizer_config.json says add_bos_token, as transformers does', () => {
    const plain = tok.encode('the the', { addSpecialTokens: false });
    expect(plain).toEqual([116, 257, 258]);
    expect(tok.encode('the the')).toEqual([CHAT_SPECIALS['<bos>'], ...plain]);
    expect(tok.encode('')).toEqual([CHAT_SPECIALS['<bos>']]);
    // add_bos_token false switches the post-processor's <bos> off
    const cfg = { ...JSON.parse(files.config), add_bos_token: false };
    expect(TextTokenizer.fromJson(files.tokenizer, JSON.stringify(cfg)).encode('the the')).toEqual(plain);
  });

  it('keeps GPT-2-style tokenizers (ByteLevel post-processor, no add_bos_token) as they were', () => {
    const gpt2 = TextTokenizer.fromJson(byteTokenizerJson(), BYTE_TOKENIZER_CONFIG);
    expect(gpt2.encode('the the')).toEqual([116, 257, 258]);
    expect(gpt2.chatTemplate).toBeNull();
    expect(() => gpt2.renderChat(CONVERSATION)).toThrow(expect.objectContaining({ name: 'ChatTemplateError', message: expect.stringContaining('instruct model') }));
  });

  it('tokenizes a conversation with one <bos> (the template\'s), and stops chat at <end_of_turn> and EOS', () => {
    const ids = tok.encodeChat(CONVERSATION.slice(0, 1));
    expect(ids.slice(0, 2)).toEqual([CHAT_SPECIALS['<bos>'], CHAT_SPECIALS['<start_of_turn>']]);
    expect(ids.filter((id) => id === CHAT_SPECIALS['<bos>'])).toHaveLength(1);
    expect(tok.decode(ids)).toBe('<bos><start_of_turn>user\nWhat is your physical form?<end_of_turn>\n<start_of_turn>model\n');
    expect(tok.chatStopIds([1]).sort((a, b) => a - b)).toEqual([1, CHAT_SPECIALS['<eos>'], CHAT_SPECIALS['<end_of_turn>']]);
  });
});
