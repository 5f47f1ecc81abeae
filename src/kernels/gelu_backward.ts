import { grid1d, type Dispatch, type Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/** dx (n) = dy (n) * gelu'(x (n)), the tanh-approximation GELU's VJP; x is the forward's input. */
export function geluBackward(gpu: Gpu, a: { dy: GPUBuffer; x: GPUBuffer; dx: GPUBuffer; n: number; label?: string }): Dispatch {
  positiveInts('gelu_backward', { n: a.n });
  for (const k of ['dy', 'x', 'dx'] as const) holds('gelu_backward', k, a[k], a.n);
  const { grid, row } = grid1d(a.n);
  return gpu.dispatch('gelu_backward', a.label ?? 'gelu_backward', [gpu.params('gelu_backward', [a.n, row]), a.dy, a.x, a.dx], grid);
}
