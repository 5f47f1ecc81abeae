import { grid1d, type Dispatch, type Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/** out (n) f32 = src, n halves packed two per u32 (as toHalf uploads them). */
export function widenF16(gpu: Gpu, a: { src: GPUBuffer; out: GPUBuffer; n: number; label?: string }): Dispatch {
  positiveInts('widen_f16', { n: a.n });
  holds('widen_f16', 'src (u32 pairs of halves)', a.src, Math.ceil(a.n / 2));
  holds('widen_f16', 'out', a.out, a.n);
  const { grid, row } = grid1d(Math.ceil(a.n / 2));
  return gpu.dispatch('widen_f16', a.label ?? 'widen_f16', [gpu.params('widen_f16', [a.n, row]), a.src, a.out], grid);
}
