import type { Dispatch, Gpu } from '../gpu/gpu';
import type { GpuTensor } from '../gpu/buffers';
import { holds, positiveInts } from './check';

/** out (T, C) = wte[ids] + wpe[pos0 + t]; one dispatch per wte part. pos0 comes from gpu.step. */
export function embed(gpu: Gpu, a: { ids: GPUBuffer; wte: GpuTensor; wpe: GPUBuffer; out: GPUBuffer; T: number; C: number }): Dispatch[] {
  const { T, C } = a;
  positiveInts('embed', { T, C });
  holds('embed', 'out', a.out, T * C);
  return a.wte.parts.map((part, i) =>
    gpu.dispatch(
      'embed',
      `embed[${i}]`,
      [gpu.params('embed', [T, C, part.row0, part.rows]), gpu.step, a.ids, part.buffer, a.wpe, a.out],
      [Math.ceil(C / 64), T],
    ),
  );
}
