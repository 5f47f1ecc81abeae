// The VJP of GPT-2's causal self-attention (prefill from position 0): a per-query pass (dq, and
// the probabilities and softmax gradients into scratch), then a per-key pass (dk, dv).
import { f32, type Dispatch, type Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/**
 * dqkv (T, 3C) from dout (T, C) and the forward's qkv (T, 3C), C = NH * HS, scores scaled by
 * `scale` (GPT-2: 1 / sqrt(HS)). probs and ds are (NH, T, T) scratch.
 */
export function attentionBackward(
  gpu: Gpu,
  a: { qkv: GPUBuffer; dout: GPUBuffer; dqkv: GPUBuffer; probs: GPUBuffer; ds: GPUBuffer; T: number; NH: number; HS: number; scale?: number; label?: string },
): Dispatch[] {
  const { T, NH, HS } = a;
  positiveInts('attention_backward', { T, NH, HS });
  const C = NH * HS;
  holds('attention_backward', 'qkv', a.qkv, T * 3 * C);
  holds('attention_backward', 'dout', a.dout, T * C);
  holds('attention_backward', 'dqkv', a.dqkv, T * 3 * C);
  holds('attention_backward', 'probs', a.probs, NH * T * T);
  holds('attention_backward', 'ds', a.ds, NH * T * T);
  const fields = [T, NH, HS, f32(a.scale ?? 1 / Math.sqrt(HS))];
  const label = a.label ?? 'attention_backward';
  const grid: [number, number] = [Math.ceil(T / 64), NH];
  return [
    gpu.dispatch('attention_backward', `${label} (q)`, [gpu.params('attention_backward', fields), a.qkv, a.dout, a.dqkv, a.probs, a.ds], grid),
    gpu.dispatch('attention_backward_kv', `${label} (k, v)`, [gpu.params('attention_backward_kv', fields), a.qkv, a.dout, a.probs, a.ds, a.dqkv], grid),
  ];
}
