// From the Hub's tensors to the decoder's GPU layout, one tensor at a time (so a loader can
// stream: read, convert, upload, drop). The linear kernels read weights [in, out] (GPT-2's Conv1D
// layout), so each nn.Linear weight [out, in] is transposed here, and projections that read the
// same input are fused: q, k and v into one (C, (NH + 2 NKV) HS), gate and up into one (C, 2F).
import type { DecoderConfig } from './decoder_config';

export interface PreparedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

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
 * The decoder's tensors, in upload order. `get` returns a Hub tensor by canonical name (the Hub
 * name without its model prefix, see decoder_weights.ts) as f32. GPU names and shapes:
 *   embed (V, C); lm_head (V, C) when untied; norm (C)
 *   layers.L.qkv (C, QKV) with QKV = (NH + 2 NKV) HS; layers.L.o (NH HS, C)
 *   layers.L.gate_up (C, 2F); layers.L.down (F, C); their biases (N) when the config has them
 *   layers.L.qk_norm (2 HS) = q_norm then k_norm, when the config has QK-norm (1-D: stays f32)
 *   layers.L.<norm> (C) for input_layernorm, post_attention_layernorm and, with sandwich
 *   norms, pre_feedforward_layernorm and post_feedforward_layernorm
 */
export function* decoderTensors(cfg: DecoderConfig, get: (name: string) => Float32Array): Generator<PreparedTensor> {
  const { dModel: C, nHeads: NH, nKvHeads: NKV, dHead: HS, dMlp: F, vocabSize: V } = cfg;
  const QKV = (NH + 2 * NKV) * HS;
  yield { name: 'embed', shape: [V, C], data: get('embed_tokens.weight') };
  if (!cfg.tiedEmbeddings) yield { name: 'lm_head', shape: [V, C], data: get('lm_head.weight') };
  for (let l = 0; l < cfg.nLayers; l++) {
    const p = `layers.${l}.`;
    const attn = (n: string) => get(`${p}self_attn.${n}`);
    const mlp = (n: string) => get(`${p}mlp.${n}`);
    yield { name: `${p}qkv`, shape: [C, QKV], data: transpose(concat(['q_proj', 'k_proj', 'v_proj'].map((n) => attn(`${n}.weight`))), QKV, C) };
    yield { name: `${p}o`, shape: [NH * HS, C], data: transpose(attn('o_proj.weight'), C, NH * HS) };
    if (cfg.attentionBias) {
      yield { name: `${p}qkv.bias`, shape: [QKV], data: concat(['q_proj', 'k_proj', 'v_proj'].map((n) => attn(`${n}.bias`))) };
      yield { name: `${p}o.bias`, shape: [C], data: attn('o_proj.bias') };
    }
    yield { name: `${p}gate_up`, shape: [C, 2 * F], data: transpose(concat([mlp('gate_proj.weight'), mlp('up_proj.weight')]), 2 * F, C) };
    yield { name: `${p}down`, shape: [F, C], data: transpose(mlp('down_proj.weight'), C, F) };
    if (cfg.mlpBias) {
      yield { name: `${p}gate_up.bias`, shape: [2 * F], data: concat([mlp('gate_proj.bias'), mlp('up_proj.bias')]) };
      yield { name: `${p}down.bias`, shape: [C], data: mlp('down_proj.bias') };
    }
    if (cfg.qkNorm) yield { name: `${p}qk_norm`, shape: [2 * HS], data: concat([attn('q_norm.weight'), attn('k_norm.weight')]) };
    const norms = ['input_layernorm', 'post_attention_layernorm', ...(cfg.sandwichNorms ? ['pre_feedforward_layernorm', 'post_feedforward_layernorm'] : [])];
    for (const n of norms) yield { name: `${p}${n}`, shape: [C], data: get(`${p}${n}.weight`) };
  }
  yield { name: 'norm', shape: [C], data: get('norm.weight') };
}
