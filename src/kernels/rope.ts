import type { Dispatch, Gpu } from '../gpu/gpu';
import { f32 } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/** Per-head RMSNorm before the rotation (Gemma 3, Qwen 3): weights (2, HS) = q_norm then k_norm. */
export interface QkNorm {
  weight: GPUBuffer;
  eps: number;
  offset: 0 | 1;
}

/**
 * Rotates, in place, the NH q heads and NKV k heads at the start of each qkv row (T, stride) by
 * their positions pos0 + t (pos0 from gpu.step), with the cos/sin table (n_ctx, HS/2, 2) of
 * src/model/rope.ts; qkNorm normalises each head first.
 */
export function rope(
  gpu: Gpu,
  a: { qkv: GPUBuffer; table: GPUBuffer; T: number; NH: number; NKV: number; HS: number; stride: number; qkNorm?: QkNorm; label?: string; threads?: number },
): Dispatch {
  const { T, NH, NKV, HS, stride } = a;
  positiveInts('rope', { T, NH, NKV, HS, stride });
  if (HS % 2) throw new Error(`rope: head size ${HS} must be even`);
  if ((NH + NKV) * HS > stride) throw new Error(`rope: ${NH + NKV} heads of ${HS} overrun a ${stride}-wide row`);
  holds('rope', 'qkv', a.qkv, T * stride);
  const n = a.qkNorm;
  if (n) holds('rope', 'qk_norm', n.weight, 2 * HS);
  return gpu.dispatch(
    gpu.reduceOp('rope'),
    a.label ?? 'rope',
    [gpu.params('rope', [T, NH, NKV, HS, stride, f32(n?.eps ?? 0), 0, 0]), gpu.step, a.qkv, a.table, n?.weight ?? a.table],
    [T, NH + NKV],
    { WG: a.threads ?? gpu.rowThreads, QK_NORM: n ? 1 : 0, OFFSET: n?.offset ?? 0 },
  );
}
