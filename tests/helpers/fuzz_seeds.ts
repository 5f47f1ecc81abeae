// Seed inputs for the fuzzer: small, valid files of every format (each parses in a few ms), taken
// from the repo's real configs and fixtures where they are small, else built with the test helpers.
import { readFileSync } from 'node:fs';
import { gzipSync, zipSync } from 'fflate';
import * as HUB from '../../src/model/hub_configs';
import { writeSafetensors } from '../../src/model/safetensors';
import { DEFAULTS, writeUrl } from '../../src/ui/state/url';
import { BYTE_TOKENIZER_CONFIG, byteTokenizerJson } from './byte_tokenizer';
import { chatTokenizerFiles } from './chat_tokenizer';
import { FIXED_TIME } from './fuzz_mutate';
import { npy, randomGemmaScope2Files, randomSaeLensFiles, randomSaeTensors, writeSafetensorsAs } from './random_sae';

export type Files = Record<string, Uint8Array>;
const enc = new TextEncoder();
const text = (s: string) => enc.encode(s);
const json = (v: unknown) => text(JSON.stringify(v, null, rngIndent(v)));
const rngIndent = (v: unknown) => (JSON.stringify(v).length % 2 ? 2 : undefined); // some seeds pretty-printed, as the Hub writes them
const bytes = (b: ArrayBuffer | Uint8Array) => new Uint8Array(b instanceof Uint8Array ? b.slice() : b.slice(0));
const file = (path: string) => new Uint8Array(readFileSync(new URL(`../../${path}`, import.meta.url)));

// ---- safetensors --------------------------------------------------------------------------------

interface RawTensor {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** Any dtype, optional __metadata__, and (pad false) an unaligned data start. */
function rawSafetensors(tensors: Record<string, RawTensor>, metadata?: Record<string, string>, pad = true): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let off = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.bytes.length] };
    off += t.bytes.length;
  }
  let h = JSON.stringify(header);
  if (pad) h += ' '.repeat((8 - ((8 + h.length) % 8)) % 8);
  const out = new Uint8Array(8 + h.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(text(h), 8);
  let p = 8 + h.length;
  for (const t of Object.values(tensors)) (out.set(t.bytes, p), (p += t.bytes.length));
  return out;
}

const seq = (n: number, per: number) => Uint8Array.from({ length: n * per }, (_, i) => (i * 37) & 0xff);

export function safetensorsSeeds(): Files[] {
  const f = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
  const st = [
    writeSafetensors({ 'wte.weight': { shape: [4, 8], data: f(32) }, 'ln_f.bias': { shape: [8], data: f(8) }, ids: { shape: [3], data: Int32Array.of(1, -2, 3) } }),
    writeSafetensorsAs({ 'model.embed_tokens.weight': { shape: [6, 4], data: f(24) }, 'model.norm.weight': { shape: [4], data: f(4) } }, 'F16'),
    writeSafetensorsAs({ 'model.layers.0.mlp.up_proj.weight': { shape: [2, 3, 4], data: f(24) }, scalar: { shape: [], data: f(1) } }, 'BF16'),
    rawSafetensors(
      { a: { dtype: 'F32', shape: [3], bytes: seq(3, 4) }, b: { dtype: 'I64', shape: [2], bytes: seq(2, 8) }, c: { dtype: 'U8', shape: [5], bytes: seq(5, 1) }, empty: { dtype: 'F16', shape: [0, 4], bytes: seq(0, 2) } },
      { format: 'pt', note: 'fuzz seed' },
      false,
    ),
  ];
  return st.map((b) => ({ 'model.safetensors': b }));
}

// ---- model configs and the shard index ----------------------------------------------------------

export const CONFIG_FAMILIES = ['gpt2', 'gemma3', 'gemma2', 'llama', 'qwen3'] as const;

export function configSeeds(family: (typeof CONFIG_FAMILIES)[number]): Files[] {
  const fixture = (name: string) => file(`tests/fixtures/hf/${name}-seed1/config.json`);
  const hub = {
    gpt2: [],
    gemma3: [HUB.GEMMA3_270M, HUB.GEMMA3_1B, HUB.GEMMA3_4B_WRAPPER],
    gemma2: [HUB.GEMMA2_2B],
    llama: [HUB.LLAMA32_1B],
    qwen3: [HUB.QWEN3_06B],
  }[family];
  const out = [fixture(family), ...hub.map((c) => json(c))];
  if (family === 'gpt2') out.push(file('public/models/glassbox-mini/config.json'));
  return out.map((b) => ({ 'config.json': b }));
}

export function shardIndexSeeds(): Files[] {
  const map = (n: number) => Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`model.layers.${i}.mlp.up_proj.weight`, `model-0000${1 + (i % n)}-of-0000${n}.safetensors`]));
  return [
    { metadata: { total_size: 123456 }, weight_map: map(2) },
    { metadata: { total_size: 1 }, weight_map: map(1) },
    { weight_map: { 'lm_head.weight': 'model-00003-of-00003.safetensors', ...map(3) } },
  ].map((v) => ({ 'model.safetensors.index.json': json(v) }));
}

// ---- tokenizers ---------------------------------------------------------------------------------

const UNIGRAM = {
  version: '1.0', truncation: null, padding: null,
  added_tokens: [
    { id: 0, content: '<pad>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    { id: 1, content: '<eos>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    { id: 2, content: '<bos>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
  ],
  normalizer: { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
  pre_tokenizer: { type: 'Split', pattern: { String: ' ' }, behavior: 'MergedWithPrevious', invert: false },
  post_processor: {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '<bos>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { '<bos>': { id: '<bos>', ids: [2], tokens: ['<bos>'] } },
  },
  decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
  model: {
    type: 'Unigram', unk_id: 3, byte_fallback: true,
    vocab: [['<pad>', 0], ['<eos>', 0], ['<bos>', 0], ['<unk>', 0], ['▁', -2], ['▁the', -3], ['▁ship', -4], ['s', -5], ['a', -6], ['e', -6], ['o', -7], ['<0x41>', -9], ['<0xC3>', -9], ['<0xA9>', -9]],
  },
};

const WORDPIECE = {
  version: '1.0', truncation: null, padding: null,
  added_tokens: [{ id: 0, content: '[PAD]', special: true }, { id: 1, content: '[UNK]', special: true }, { id: 2, content: '[CLS]', special: true }, { id: 3, content: '[SEP]', special: true }],
  normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
  pre_tokenizer: { type: 'BertPreTokenizer' },
  post_processor: { type: 'BertProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2] },
  decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
  model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3, hello: 4, world: 5, '##s': 6, h: 7, '##ello': 8, ',': 9 } },
};

const GEMMA_TEMPLATE = "{{ bos_token }}{% for m in messages %}<start_of_turn>{{ 'model' if m['role'] == 'assistant' else m['role'] }}\n{{ m['content'] }}<end_of_turn>\n{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}";

export function tokenizerSeeds(): Files[] {
  const chat = chatTokenizerFiles(GEMMA_TEMPLATE);
  return [
    { 'tokenizer.json': text(byteTokenizerJson()), 'tokenizer_config.json': text(BYTE_TOKENIZER_CONFIG) },
    { 'tokenizer.json': text(chat.tokenizer), 'tokenizer_config.json': text(chat.config) },
    { 'tokenizer.json': json(UNIGRAM), 'tokenizer_config.json': json({ add_bos_token: true, bos_token: { content: '<bos>', special: true }, eos_token: '<eos>', chat_template: [{ name: 'default', template: GEMMA_TEMPLATE }] }) },
    { 'tokenizer.json': json(WORDPIECE), 'tokenizer_config.json': json({ do_lower_case: true, unk_token: '[UNK]', cls_token: '[CLS]', sep_token: '[SEP]' }) },
    { 'tokenizer.json': text(byteTokenizerJson()), 'tokenizer_config.json': file('public/models/glassbox-mini/tokenizer_config.json') },
  ];
}

// ---- SAEs ---------------------------------------------------------------------------------------

const SAE = { dIn: 4, dSae: 8, seed: 5 };

export function saeLensSeeds(): Files[] {
  const seeds: Files[] = [
    randomSaeLensFiles({ ...SAE, hookName: 'blocks.1.hook_resid_pre', arch: 'standard' }),
    randomSaeLensFiles({ ...SAE, hookName: 'blocks.2.hook_resid_pre', arch: 'topk', k: 3, norm: 'expected_average_only_in' }),
    randomSaeLensFiles({ ...SAE, hookName: 'blocks.0.hook_resid_post', arch: 'jumprelu', legacy: true, center: true }),
    randomSaeLensFiles({ ...SAE, hookName: 'blocks.3.hook_resid_mid', arch: 'gated', norm: 'constant_norm_rescale' }),
  ].map((f) => ({ 'cfg.json': bytes(f['cfg.json']), 'sae_weights.safetensors': bytes(f['sae_weights.safetensors']) }));
  // the bundled SAE's real cfg.json, shrunk to the seed's size, with log_threshold weights (f16)
  const real = JSON.parse(new TextDecoder().decode(file('public/models/glassbox-mini/sae/blocks.2.hook_resid_pre/cfg.json')));
  const t = randomSaeTensors({ ...SAE, hookName: '', arch: 'jumprelu' });
  const shapes: Record<string, number[]> = { W_enc: [4, 8], W_dec: [8, 4], b_dec: [4] };
  const tensors = Object.fromEntries(Object.entries(t).map(([k, v]) => [k === 'threshold' ? 'log_threshold' : k, { shape: shapes[k] ?? [8], data: k === 'threshold' ? v.map(Math.log) : v }]));
  seeds.push({ 'cfg.json': json({ ...real, architecture: 'jumprelu', d_in: 4, d_sae: 8, norm_scaling_factor: 1.5 }), 'sae_weights.safetensors': writeSafetensorsAs(tensors, 'F16') });
  return seeds;
}

export function npzSeeds(): Files[] {
  // as randomGemmaScopeNpz writes it, with a fixed time in the zip headers
  const t = randomSaeTensors({ ...SAE, hookName: '', arch: 'jumprelu' });
  const shapes: Record<string, number[]> = { W_enc: [4, 8], W_dec: [8, 4], b_dec: [4], b_enc: [8], threshold: [8] };
  const entries = Object.fromEntries(Object.entries(t).map(([k, v]) => [`${k}.npy`, npy(v, shapes[k])]));
  return [zipSync(entries, { mtime: FIXED_TIME }), zipSync(entries, { level: 0, mtime: FIXED_TIME }), zip64Stored(entries)].map((b) => ({ 'params.npz': b }));
}

/** A stored zip whose central directory uses zip64 (sizes in the extra field) and ends with zip64 records, as large np.savez files do. */
function zip64Stored(entries: Record<string, Uint8Array>): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let off = 0;
  for (const [name, data] of Object.entries(entries)) {
    const n = text(name);
    const local = new Uint8Array(30 + n.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 45, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, n.length, true);
    local.set(n, 30);
    const c = new Uint8Array(46 + n.length + 28);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 45, true);
    cv.setUint16(6, 45, true);
    cv.setUint32(20, 0xffffffff, true);
    cv.setUint32(24, 0xffffffff, true);
    cv.setUint16(28, n.length, true);
    cv.setUint16(30, 28, true);
    cv.setUint32(42, 0xffffffff, true);
    c.set(n, 46);
    const x = 46 + n.length; // zip64 extra: tag 1, size 24: usize, csize, local offset
    cv.setUint16(x, 1, true);
    cv.setUint16(x + 2, 24, true);
    cv.setBigUint64(x + 4, BigInt(data.length), true);
    cv.setBigUint64(x + 12, BigInt(data.length), true);
    cv.setBigUint64(x + 20, BigInt(off), true);
    parts.push(local, data);
    central.push(c);
    off += local.length + data.length;
  }
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  const tail = new Uint8Array(56 + 20 + 22);
  const tv = new DataView(tail.buffer);
  tv.setUint32(0, 0x06064b50, true);
  tv.setBigUint64(4, 44n, true);
  tv.setUint16(12, 45, true);
  tv.setUint16(14, 45, true);
  tv.setBigUint64(24, BigInt(central.length), true);
  tv.setBigUint64(32, BigInt(central.length), true);
  tv.setBigUint64(40, BigInt(cdSize), true);
  tv.setBigUint64(48, BigInt(off), true);
  tv.setUint32(56, 0x07064b50, true);
  tv.setBigUint64(64, BigInt(off + cdSize), true);
  tv.setUint32(72, 1, true);
  tv.setUint32(76, 0x06054b50, true);
  tv.setUint16(84, 0xffff, true);
  tv.setUint16(86, 0xffff, true);
  tv.setUint32(88, 0xffffffff, true);
  tv.setUint32(92, 0xffffffff, true);
  const all = [...parts, ...central, tail];
  const out = new Uint8Array(all.reduce((s, p) => s + p.length, 0));
  let p = 0;
  for (const a of all) (out.set(a, p), (p += a.length));
  return out;
}

export function gemmaScope2Seeds(): Files[] {
  return (['F32', 'F16', 'BF16'] as const).map((dtype, i) => {
    const f = randomGemmaScope2Files({ ...SAE, hookName: `blocks.${i + 3}.hook_resid_post`, dtype, config: i === 2 ? { hf_hook_point_in: undefined, hf_hook_point_out: undefined } : {} });
    return { 'config.json': bytes(f['config.json']), 'params.safetensors': bytes(f['params.safetensors']), folder: text(i === 2 ? 'resid_post/layer_5_width_16k_l0_small/' : '') };
  });
}

// ---- Neuronpedia label exports, URL state -------------------------------------------------------

export function labelSeeds(): Files[] {
  const rows = [
    { modelId: 'gemma-2-2b', layer: '12-gemmascope-res-16k', index: '0', description: ' the word ocean ', explanationModelName: 'gpt-4o-mini', typeName: 'oai_token-act-pair' },
    { modelId: 'gemma-2-2b', layer: '12-gemmascope-res-16k', index: '5', description: 'ships and boats' },
    { modelId: 'gemma-2-2b', layer: '12-gemmascope-res-16k', index: 7, description: 'closing brackets' },
  ];
  const jsonl = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  return [
    json(rows),
    json({ explanations: rows }),
    text(jsonl),
    gzipSync(text(jsonl), { mtime: 0 }),
    gzipSync(json(rows), { mtime: 0 }),
    json({ features: [{ feature: 3, explanation: 'x' }, { featureIndex: 4, description: 'y' }] }),
    json(rows[1]),
  ].map((b) => ({ 'labels.json': b }));
}

export function urlSeeds(): Files[] {
  const s = { ...DEFAULTS, prompt: 'Le bateau & the "ocean" — 🌊?', steering: [{ feature: 12, mode: 'clamp' as const, strength: 10, unit: 'max_act' as const }, { feature: 4095, mode: 'cap' as const, strength: -3.5, unit: 'absolute' as const }], steerAt: { positions: 'generated' as const, skipBos: true }, hub: 'http://127.0.0.1:8080/mirror' };
  return [writeUrl(DEFAULTS), writeUrl(s), '?steer=12c10,40a-3.5,7o2,9p120u&spos=prompt&nobos=1&temp=0.7&topk=0&topp=0.9&seed=7&n=64', '?prompt=hi'].map((u) => ({ search: text(u) }));
}
