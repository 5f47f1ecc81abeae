import { grid1d, type Dispatch, type Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/** x (n) += y (n), in place: the residual stream update. */
export function add(gpu: Gpu, a: { x: GPUBuffer; y: GPUBuffer; n: number; label?: string }): Dispatch {
  positiveInts('add', { n: a.n });
  holds('add', 'x', a.x, a.n);
  holds('add', 'y', a.y, a.n);
  const { grid, row } = grid1d(a.n);
  return gpu.dispatch('add', a.label ?? 'add', [gpu.params('add', [a.n, row]), a.x, a.y], grid);
}
