// The VJP of causal self-attention (prefill from position 0): a per-query pass (dq, and the
// probabilities and score gradients into scratch), then a per-key pass (dk, dv). GPT-2's layout
// by default; grouped-query heads, a sliding window, a soft-cap and the scale as the decoder's.
import { f32, type Dispatch, type Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/**
 * dqkv (T, stride) from dout (T, NH HS) and the forward's qkv (T, stride): NH q heads, then NKV
 * k heads, then NKV v heads, HS each (defaults: NKV = NH, stride 3 NH HS, GPT-2's). window > 0:
 * query t sees keys t-window+1..t; softcap > 0: scores pass through softcap tanh(s / softcap);
 * scale defaults to 1 / sqrt(HS). probs and ds are (NH, T, T) scratch.
 */
export function attentionBackward(
  gpu: Gpu,
  a: {
    qkv: GPUBuffer; dout: GPUBuffer; dqkv: GPUBuffer; probs: GPUBuffer; ds: GPUBuffer; T: number; NH: number; HS: number;
    NKV?: number; stride?: number; window?: number; softcap?: number; scale?: number; label?: string;
  },
): Dispatch[] {
  const { T, NH, HS } = a;
  const NKV = a.NKV ?? NH;
  const stride = a.stride ?? (NH + 2 * NKV) * HS;
  positiveInts('attention_backward', { T, NH, NKV, HS, stride });
  if (NH % NKV) throw new Error(`attention_backward: ${NH} query heads do not group over ${NKV} KV heads`);
  if ((NH + 2 * NKV) * HS > stride) throw new Error(`attention_backward: ${NH + 2 * NKV} heads of ${HS} overrun a ${stride}-wide row`);
  holds('attention_backward', 'qkv', a.qkv, T * stride);
  holds('attention_backward', 'dout', a.dout, T * NH * HS);
  holds('attention_backward', 'dqkv', a.dqkv, T * stride);
  holds('attention_backward', 'probs', a.probs, NH * T * T);
  holds('attention_backward', 'ds', a.ds, NH * T * T);
  const fields = [T, NH, NKV, HS, stride, a.window ?? 0, f32(a.scale ?? 1 / Math.sqrt(HS)), f32(a.softcap ?? 0)];
  const label = a.label ?? 'attention_backward';
  return [
    gpu.dispatch('attention_backward', `${label} (q)`, [gpu.params('attention_backward', fields), a.qkv, a.dout, a.dqkv, a.probs, a.ds], [Math.ceil(T / 64), NH]),
    gpu.dispatch('attention_backward_kv', `${label} (k, v)`, [gpu.params('attention_backward_kv', fields), a.qkv, a.dout, a.probs, a.ds, a.dqkv], [Math.ceil(T / 64), NKV]),
  ];
}
