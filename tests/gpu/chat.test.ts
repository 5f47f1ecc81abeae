// Chat through the Engine with the Gemma 3 fixture: the prompt is the chat template rendered (one
// <bos>, the template's), replies stop at <end_of_turn>, and steering gives a steered reply beside
// the baseline's.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/worker/engine';
import { parseSafetensors, toFloat32, writeSafetensors } from '../../src/model/safetensors';
import { TextTokenizer } from '../../src/model/tokenizer';
import type { ChatMessage, GenerateEvent, GenerateRequest } from '../../src/worker/api';
import { byteTokenizerJson } from '../helpers/byte_tokenizer';
import { CHAT_SPECIALS, chatTokenizerFiles } from '../helpers/chat_tokenizer';
import { randomSaeLensFiles } from '../helpers/random_sae';

const DIR = '/tests/fixtures/hf/gemma3-seed1/';
const get = async (f: string) => {
  const r = await fetch(f.startsWith('/') ? f : DIR + f);
  if (!r.ok) throw new Error(`${f}: HTTP ${r.status}`);
  return r.arrayBuffer();
};
const enc = (s: string) => new TextEncoder().encode(s).buffer as ArrayBuffer;
const gemmaTemplate = async () => JSON.parse(new TextDecoder().decode(await get('/tests/fixtures/chat_templates.json')))['google/gemma-3-1b-it'].chat_template as string;

const ASK: ChatMessage[] = [{ role: 'user', content: 'What is your physical form?' }];
const GREEDY = { sampling: { temperature: 0, topK: 0, topP: 1 }, seed: 1, prompt: '' };

/** The fixture with a chat tokenizer; `swap` relabels two token ids in the input embedding (the LM head stays as it was). */
async function files(tokenizer: { tokenizer: string; config: string }, swap?: [number, number]): Promise<Record<string, ArrayBuffer>> {
  const out: Record<string, ArrayBuffer> = { 'tokenizer.json': enc(tokenizer.tokenizer), 'tokenizer_config.json': enc(tokenizer.config) };
  if (!swap) return { ...out, 'config.json': await get('config.json'), 'model.safetensors': await get('model.safetensors') };
  const cfg = JSON.parse(new TextDecoder().decode(await get('config.json')));
  const st = parseSafetensors(await get('model.safetensors'), 'model.safetensors');
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const t of st.tensors.values()) tensors[t.name] = { shape: t.shape, data: toFloat32(t) };
  const embed = tensors['model.embed_tokens.weight'];
  const C = embed.shape[1];
  const swapped = embed.data.slice();
  const [a, b] = swap;
  swapped.set(embed.data.subarray(a * C, (a + 1) * C), b * C);
  swapped.set(embed.data.subarray(b * C, (b + 1) * C), a * C);
  tensors['lm_head.weight'] = { shape: embed.shape, data: embed.data };
  tensors['model.embed_tokens.weight'] = { shape: embed.shape, data: swapped };
  const st2 = writeSafetensors(tensors);
  return { ...out, 'config.json': enc(JSON.stringify({ ...cfg, tie_word_embeddings: false })), 'model.safetensors': st2.buffer.slice(st2.byteOffset, st2.byteOffset + st2.byteLength) as ArrayBuffer };
}

async function run(engine: Engine, req: Omit<GenerateRequest, 'maxNewTokens'> & { maxNewTokens?: number }) {
  const events: GenerateEvent[] = [];
  const res = await engine.generate({ maxNewTokens: 10, ...req }, (e) => events.push(e));
  const prompt = events.find((e) => e.type === 'prompt');
  return { res, events, prompt: prompt?.type === 'prompt' ? prompt.tokens.ids : [] };
}

describe('chat with a Gemma 3 checkpoint', () => {
  it('prompts with the rendered template, with one <bos>, and starts a raw prompt with <bos>', async () => {
    const template = await gemmaTemplate();
    const tok = chatTokenizerFiles(template);
    const engine = new Engine();
    const info = await engine.load({ kind: 'files', files: await files(tok), weights: 'f32' });
    expect(info.chat).toBe(true);
    const text = TextTokenizer.fromJson(tok.tokenizer, tok.config).renderChat(ASK);
    expect(text).toBe('<bos><start_of_turn>user\nWhat is your physical form?<end_of_turn>\n<start_of_turn>model\n');
    const { prompt } = await run(engine, { ...GREEDY, chat: ASK, maxNewTokens: 1 });
    expect(prompt.slice(0, 2)).toEqual([CHAT_SPECIALS['<bos>'], CHAT_SPECIALS['<start_of_turn>']]);
    expect(prompt.filter((id) => id === CHAT_SPECIALS['<bos>'])).toHaveLength(1);
    expect((await engine.tokenize(text)).ids.slice(1)).toEqual(prompt); // tokenize() adds the prompt <bos>
    const raw = await run(engine, { ...GREEDY, prompt: 'the theme', maxNewTokens: 1 });
    expect(raw.prompt[0]).toBe(CHAT_SPECIALS['<bos>']);
    await engine.dispose();
  });

  it('stops a reply at <end_of_turn> when the model emits it', async () => {
    const template = await gemmaTemplate();
    const engine = new Engine();
    await engine.load({ kind: 'files', files: await files(chatTokenizerFiles(template)), weights: 'f32' });
    const first = await run(engine, { ...GREEDY, chat: ASK, stopAtEos: false });
    const G = first.res.baseline!.ids;
    await engine.dispose();
    // a later greedy token the prompt lacks becomes <end_of_turn>: that token's id and the old
    // <end_of_turn>'s trade places in the tokenizer and the input embedding, so the model reads the
    // same prompt and, its head unchanged, emits the same tokens, the k-th now being <end_of_turn>
    const eot = CHAT_SPECIALS['<end_of_turn>'];
    const k = G.findIndex((id, i) => i >= 2 && !first.prompt.includes(id) && !G.slice(0, i).includes(id) && !G.slice(0, i).includes(eot) && id !== eot);
    expect(k, `greedy ids ${G}`).toBeGreaterThan(0);
    const g = G[k];
    const again = new Engine();
    await again.load({ kind: 'files', files: await files(chatTokenizerFiles(template, { '<end_of_turn>': g }), [eot, g]), weights: 'f32' });
    const second = await run(again, { ...GREEDY, chat: ASK });
    expect(second.res.baseline!.ids).toEqual(G.slice(0, k + 1));
    expect(second.res.baseline!.reason).toBe('eos');
    expect(second.res.baseline!.text.endsWith('<end_of_turn>')).toBe(true);
    const last = second.events.filter((e) => e.type === 'token').at(-1);
    expect(last).toMatchObject({ id: g, stop: true, text: '<end_of_turn>' });
    await again.dispose();
  });

  it('gives a steered reply beside the baseline, each side from its own conversation', async () => {
    const engine = new Engine();
    await engine.load({ kind: 'files', files: await files(chatTokenizerFiles(await gemmaTemplate())) });
    await engine.loadSae({ kind: 'files', files: randomSaeLensFiles({ dIn: 96, dSae: 200, hookName: 'blocks.2.hook_resid_post', arch: 'jumprelu', seed: 3 }), topK: 8 });
    const a = await engine.analyze({ text: 'What is your physical form?' });
    const steering = [{ feature: a.topIdx[0], mode: 'add' as const, value: 200, unit: 'absolute' as const }];
    const one = await run(engine, { ...GREEDY, chat: ASK, steering, maxNewTokens: 6, stopAtEos: false });
    expect(one.res.baseline!.ids).toHaveLength(6);
    expect(one.res.steered!.ids).toHaveLength(6);
    expect(one.res.steered!.ids).not.toEqual(one.res.baseline!.ids);
    // turn two: each side continues its own reply
    const turn = (reply: string): ChatMessage[] => [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: reply }, { role: 'user', content: 'Why?' }];
    const two = await run(engine, { ...GREEDY, chat: turn('ok'), steeredChat: turn('bridge'), steering, maxNewTokens: 3, stopAtEos: false });
    expect(two.res.steered!.ids).toHaveLength(3);
    await engine.dispose();
  });

  it('refuses chat with a model that has no chat template, saying chat needs an instruct model', async () => {
    const engine = new Engine();
    const info = await engine.load({ kind: 'files', files: { 'config.json': await get('config.json'), 'model.safetensors': await get('model.safetensors'), 'tokenizer.json': enc(byteTokenizerJson()) } });
    expect(info.chat).toBe(false);
    await expect(engine.generate({ ...GREEDY, chat: ASK, maxNewTokens: 2 }, () => {})).rejects.toMatchObject({ name: 'ChatTemplateError', message: expect.stringContaining('instruct model') });
    await engine.dispose();
  });
});
