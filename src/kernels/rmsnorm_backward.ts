import { f32, type Dispatch, type Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/**
 * dx (T, C) from dy (T, C), the forward's input x (T, C) and weight (C) of
 * y = rmsnorm(x) * (offset + weight); accumulate: dx += the gradient (a residual stream's).
 */
export function rmsnormBackward(
  gpu: Gpu,
  a: { dy: GPUBuffer; x: GPUBuffer; weight: GPUBuffer; dx: GPUBuffer; T: number; C: number; eps: number; offset: 0 | 1; accumulate?: boolean; label?: string; threads?: number },
): Dispatch {
  const { T, C } = a;
  positiveInts('rmsnorm_backward', { T, C });
  for (const k of ['dy', 'x', 'dx'] as const) holds('rmsnorm_backward', k, a[k], T * C);
  holds('rmsnorm_backward', 'weight', a.weight, C);
  return gpu.dispatch(
    gpu.reduceOp('rmsnorm_backward'),
    a.label ?? 'rmsnorm_backward',
    [gpu.params('rmsnorm_backward', [T, C, f32(a.eps), 0]), a.dy, a.x, a.weight, a.dx],
    [T],
    { WG: a.threads ?? gpu.rowThreads, OFFSET: a.offset, ACCUMULATE: a.accumulate ? 1 : 0 },
  );
}
