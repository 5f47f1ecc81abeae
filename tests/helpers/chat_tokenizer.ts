// A Gemma-style chat tokenizer for tests: the byte-level BPE of byte_tokenizer.ts plus Gemma's
// special tokens (<bos>, <eos>, <start_of_turn>, <end_of_turn>) as added tokens, a post-processor
// that puts <bos> first, and a tokenizer_config.json with add_bos_token and a chat template.
// All ids are < 384 (the fixture decoders' vocabulary).
import { byteTokenizerJson } from './byte_tokenizer';

export const CHAT_SPECIALS = { '<bos>': 260, '<eos>': 261, '<start_of_turn>': 262, '<end_of_turn>': 263 } as const;
export type ChatSpecial = keyof typeof CHAT_SPECIALS;

/**
 * tokenizer.json and tokenizer_config.json. `ids` moves special tokens; a vocabulary entry that
 * had the id a special token takes trades ids with it (e.g. <end_of_turn> at a byte's id).
 */
export function chatTokenizerFiles(chatTemplate: string, ids: Partial<Record<ChatSpecial, number>> = {}): { tokenizer: string; config: string } {
  const json = JSON.parse(byteTokenizerJson());
  const vocab = json.model.vocab as Record<string, number>;
  const specials: Record<string, number> = { ...CHAT_SPECIALS, ...ids };
  for (const [name, id] of Object.entries(specials)) {
    const old = CHAT_SPECIALS[name as ChatSpecial];
    for (const [tok, v] of Object.entries(vocab)) if (v === id) vocab[tok] = old;
    for (const t of json.added_tokens as Array<{ id: number }>) if (t.id === id) t.id = old;
  }
  for (const [content, id] of Object.entries(specials)) {
    json.added_tokens.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  }
  json.post_processor = {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '<bos>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ SpecialToken: { id: '<bos>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<bos>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { '<bos>': { id: '<bos>', ids: [specials['<bos>']], tokens: ['<bos>'] } },
  };
  const config = {
    add_bos_token: true, add_eos_token: false, bos_token: '<bos>', eos_token: '<eos>', pad_token: '<eos>',
    chat_template: chatTemplate, clean_up_tokenization_spaces: false, model_max_length: 64,
  };
  return { tokenizer: JSON.stringify(json), config: JSON.stringify(config) };
}
