import { grid1d, type Dispatch, type Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/** x (n) = gelu_tanh(x), in place. */
export function gelu(gpu: Gpu, a: { x: GPUBuffer; n: number; label?: string }): Dispatch {
  positiveInts('gelu', { n: a.n });
  holds('gelu', 'x', a.x, a.n);
  const { grid, row } = grid1d(a.n);
  return gpu.dispatch('gelu', a.label ?? 'gelu', [gpu.params('gelu', [a.n, row]), a.x], grid);
}
