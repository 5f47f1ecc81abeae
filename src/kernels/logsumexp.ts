import type { Dispatch, Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/** out (R) = log(sum_v exp(x[r, v])) of x (R, V), stably (the row max is taken out first). */
export function logsumexp(gpu: Gpu, a: { x: GPUBuffer; out: GPUBuffer; R: number; V: number; label?: string; threads?: number }): Dispatch {
  const { R, V } = a;
  positiveInts('logsumexp', { R, V });
  holds('logsumexp', 'x', a.x, R * V);
  holds('logsumexp', 'out', a.out, R);
  return gpu.dispatch(gpu.reduceOp('logsumexp'), a.label ?? 'logsumexp', [gpu.params('logsumexp', [V, 0, 0, 0]), a.x, a.out], [R], {
    WG: a.threads ?? gpu.rowThreads,
  });
}
