// A tiny Gemma 3 checkpoint in the Hub's layout, as google/gemma-3-* publish theirs but sharded:
// config.json (transformers 4.x fields), bf16 tensors under "model." names split over two shards
// with model.safetensors.index.json, and the byte tokenizer (its vocabulary is the model's).
import { parseDecoderConfig } from '../../src/model/decoder_config';
import { expectedDecoderShapes } from '../../src/model/decoder_weights';
import { GEMMA3_270M } from '../../src/model/hub_configs';
import { BYTE_TOKENIZER_CONFIG, BYTE_TOKENIZER_VOCAB, EOT_ID, byteTokenizerJson } from './byte_tokenizer';

export const TINY_GEMMA_CONFIG = {
  ...GEMMA3_270M, hidden_size: 64, intermediate_size: 128, num_attention_heads: 4, num_key_value_heads: 1, head_dim: 16,
  query_pre_attn_scalar: 16, num_hidden_layers: 3, vocab_size: BYTE_TOKENIZER_VOCAB, max_position_embeddings: 128,
  sliding_window: 8, sliding_window_pattern: 3, bos_token_id: EOT_ID, eos_token_id: EOT_ID, pad_token_id: 0, torch_dtype: 'bfloat16',
};

/** safetensors with BF16 tensors (the top 16 bits of each f32, rounded to nearest even). */
export function writeBf16Safetensors(tensors: Record<string, { shape: number[]; data: Float32Array }>): Uint8Array {
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const [name, { shape, data }] of Object.entries(tensors)) {
    header[name] = { dtype: 'BF16', shape, data_offsets: [off, off + 2 * data.length] };
    off += 2 * data.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(json.length + ((8 - ((8 + json.length) % 8)) % 8)).fill(0x20);
  head.set(json);
  const out = new Uint8Array(8 + head.length + off);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let p = 8 + head.length;
  for (const { data } of Object.values(tensors)) {
    const u = new Uint32Array(data.buffer, data.byteOffset, data.length);
    for (let i = 0; i < u.length; i++, p += 2) dv.setUint16(p, (u[i] + 0x7fff + ((u[i] >>> 16) & 1)) >>> 16, true);
  }
  return out;
}

/** The repo's files by path: two bf16 shards (the embedding, then the layers and final norm) and the index. */
export function tinyGemmaRepo(seed = 3): Record<string, Uint8Array | string> {
  const cfg = parseDecoderConfig(JSON.stringify(TINY_GEMMA_CONFIG));
  let s = seed;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5) * 0.2;
  const shards: Array<Record<string, { shape: number[]; data: Float32Array }>> = [{}, {}];
  for (const [name, shape] of expectedDecoderShapes(cfg)) {
    const a = new Float32Array(shape.reduce((x, y) => x * y, 1));
    // norms hold w in Gemma's (1 + w): small values around 0; matrices small random values
    for (let i = 0; i < a.length; i++) a[i] = shape.length === 1 ? rand() * 0.5 : rand();
    shards[name.startsWith('embed_tokens') ? 0 : 1][`model.${name}`] = { shape, data: a };
  }
  const files = shards.map((_, i) => `model-0000${i + 1}-of-00002.safetensors`);
  const bytes = shards.map(writeBf16Safetensors);
  const weightMap = Object.fromEntries(shards.flatMap((sh, i) => Object.keys(sh).map((n) => [n, files[i]])));
  return {
    'config.json': JSON.stringify(TINY_GEMMA_CONFIG),
    'model.safetensors.index.json': JSON.stringify({ metadata: { total_size: bytes.reduce((n, b) => n + b.length, 0) }, weight_map: weightMap }),
    [files[0]]: bytes[0],
    [files[1]]: bytes[1],
    'tokenizer.json': byteTokenizerJson(),
    'tokenizer_config.json': BYTE_TOKENIZER_CONFIG,
  };
}
