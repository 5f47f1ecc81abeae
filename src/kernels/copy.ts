import { grid1d, type Dispatch, type Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/** dst (n) = src (n), n a multiple of 4 floats: the bandwidth probe for the roofline. */
export function copy(gpu: Gpu, a: { src: GPUBuffer; dst: GPUBuffer; n: number }): Dispatch {
  positiveInts('copy', { n: a.n });
  if (a.n % 4) throw new Error(`copy: n=${a.n} must be a multiple of 4 (vec4 copies)`);
  holds('copy', 'src', a.src, a.n);
  holds('copy', 'dst', a.dst, a.n);
  const { grid, row } = grid1d(a.n / 4);
  return gpu.dispatch('copy', 'copy', [gpu.params('copy', [a.n / 4, row]), a.src, a.dst], grid);
}
