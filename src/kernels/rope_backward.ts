import { f32, type Dispatch, type Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';
import type { QkNorm } from './rope';

/**
 * In place on dqkv (T, stride): the gradient w.r.t. rope's output on the NH q and NKV k heads
 * becomes the gradient w.r.t. its input (the inverse rotation at positions pos0 + t, then
 * QK-norm's VJP when qkNorm is given, which reads the forward's input qkv (T, stride)). v's
 * gradient is left as it is. table: (n_ctx, HS/2, 2) cos/sin, as the forward's.
 */
export function ropeBackward(
  gpu: Gpu,
  a: {
    dqkv: GPUBuffer; qkv: GPUBuffer; table: GPUBuffer; T: number; NH: number; NKV: number; HS: number; stride: number;
    pos0?: number; qkNorm?: QkNorm; label?: string; threads?: number;
  },
): Dispatch {
  const { T, NH, NKV, HS, stride } = a;
  const pos0 = a.pos0 ?? 0;
  positiveInts('rope_backward', { T, NH, NKV, HS, stride });
  if (HS % 2) throw new Error(`rope_backward: head size ${HS} must be even`);
  if ((NH + NKV) * HS > stride) throw new Error(`rope_backward: ${NH + NKV} heads of ${HS} overrun a ${stride}-wide row`);
  holds('rope_backward', 'dqkv', a.dqkv, T * stride);
  holds('rope_backward', 'qkv', a.qkv, T * stride);
  holds('rope_backward', 'table', a.table, (pos0 + T) * HS);
  const n = a.qkNorm;
  if (n) holds('rope_backward', 'qk_norm', n.weight, 2 * HS);
  return gpu.dispatch(
    gpu.reduceOp('rope_backward'),
    a.label ?? 'rope_backward',
    [gpu.params('rope_backward', [T, NH, NKV, HS, stride, f32(n?.eps ?? 0), pos0, 0]), a.dqkv, a.qkv, a.table, n?.weight ?? a.table],
    [T, NH + NKV],
    { WG: a.threads ?? gpu.rowThreads, QK_NORM: n ? 1 : 0, OFFSET: n?.offset ?? 0 },
  );
}
