// From the Hub's tensors to the decoder's GPU layout, one tensor at a time (so a loader can
// stream: read, convert, upload, drop). The linear kernels read weights [in, out] (GPT-2's Conv1D
// layout), so each nn.Linear weight [out, in] is transposed here, and projections that read the
// same input are fused: q, k and v into one (C, (NH + 2 NKV) HS), gate and up into one (C, 2F).
import type { DecoderConfig } from './decoder_config';
import { computed, type TensorRows } from './tensor_rows';

/** a (rows, cols) row-major, transposed to (cols, rows). */
export function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * The decoder's GPU tensors, name → shape, in upload order (C d_model, V vocab, NH/NKV heads, HS
 * head size, F d_mlp, QKV = (NH + 2 NKV) HS):
 *   embed (V, C); lm_head (V, C) when untied; norm (C)
 *   layers.L.qkv (C, QKV); layers.L.o (NH HS, C); layers.L.gate_up (C, 2F); layers.L.down (F, C);
 *   their biases (N) when the config has them
 *   layers.L.qk_norm (2 HS) = q_norm then k_norm, when the config has QK-norm (1-D: stays f32)
 *   layers.L.<norm> (C) for input_layernorm, post_attention_layernorm and, with sandwich
 *   norms, pre_feedforward_layernorm and post_feedforward_layernorm
 */
export function decoderGpuShapes(cfg: DecoderConfig): Array<[string, number[]]> {
  const { dModel: C, nHeads: NH, nKvHeads: NKV, dHead: HS, dMlp: F, vocabSize: V } = cfg;
  const QKV = (NH + 2 * NKV) * HS;
  const out: Array<[string, number[]]> = [['embed', [V, C]]];
  if (!cfg.tiedEmbeddings) out.push(['lm_head', [V, C]]);
  for (let l = 0; l < cfg.nLayers; l++) {
    const p = `layers.${l}.`;
    out.push([`${p}qkv`, [C, QKV]], [`${p}o`, [NH * HS, C]]);
    if (cfg.attentionBias) out.push([`${p}qkv.bias`, [QKV]], [`${p}o.bias`, [C]]);
    out.push([`${p}gate_up`, [C, 2 * F]], [`${p}down`, [F, C]]);
    if (cfg.mlpBias) out.push([`${p}gate_up.bias`, [2 * F]], [`${p}down.bias`, [C]]);
    if (cfg.qkNorm) out.push([`${p}qk_norm`, [2 * HS]]);
    for (const n of NORMS.slice(0, cfg.sandwichNorms ? 4 : 2)) out.push([`${p}${n}`, [C]]);
  }
  out.push(['norm', [C]]);
  return out;
}

const NORMS = ['input_layernorm', 'post_attention_layernorm', 'pre_feedforward_layernorm', 'post_feedforward_layernorm'];

/**
 * The decoder's tensors (decoderGpuShapes), made one at a time from the Hub's: `get` returns a
 * Hub tensor by canonical name (the Hub name without its model prefix, see decoder_weights.ts).
 * Tensors the GPU keeps as the Hub ships them (embeddings, norms) stream straight from the file;
 * the fused and transposed ones are made in memory, one at a time.
 */
export function* decoderTensors(cfg: DecoderConfig, get: (name: string) => TensorRows): Generator<{ name: string; rows: TensorRows }> {
  const { dModel: C, nHeads: NH, dHead: HS, dMlp: F } = cfg;
  const whole: Record<string, string> = { embed: 'embed_tokens.weight', lm_head: 'lm_head.weight', norm: 'norm.weight' };
  for (const [name, shape] of decoderGpuShapes(cfg)) {
    const m = /^(layers\.\d+\.)(.+)$/.exec(name);
    const [p, part] = m ? [m[1], m[2]] : ['', name];
    const all = (n: string) => get(n).read();
    const attn = (n: string) => all(`${p}self_attn.${n}`);
    const mlp = (n: string) => all(`${p}mlp.${n}`);
    const qkv = async (kind: string) => concat(await Promise.all(['q_proj', 'k_proj', 'v_proj'].map((n) => attn(`${n}.${kind}`))));
    const gateUp = async (kind: string) => concat([await mlp(`gate_proj.${kind}`), await mlp(`up_proj.${kind}`)]);
    const make: Record<string, () => Promise<Float32Array>> = {
      qkv: async () => transpose(await qkv('weight'), shape[1], C),
      o: async () => transpose(await attn('o_proj.weight'), C, NH * HS),
      gate_up: async () => transpose(await gateUp('weight'), 2 * F, C),
      down: async () => transpose(await mlp('down_proj.weight'), C, F),
      'qkv.bias': () => qkv('bias'),
      'o.bias': () => attn('o_proj.bias'),
      'gate_up.bias': () => gateUp('bias'),
      'down.bias': () => mlp('down_proj.bias'),
      qk_norm: async () => concat([await attn('q_norm.weight'), await attn('k_norm.weight')]),
    };
    const rows = m && make[part] ? computed(shape, make[part]) : get(m ? `${p}${part}.weight` : whole[name]);
    yield { name, rows: { shape, read: rows.read } };
  }
}
