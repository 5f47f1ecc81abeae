import { f32, type Dispatch, type Gpu } from '../gpu/gpu';
import type { GpuTensor } from '../gpu/buffers';
import { weightOp } from '../gpu/pipelines';
import { holds, positiveInts } from './check';

/**
 * out (T, C) = wte[ids] * scale + wpe[pos0 + t] (no wpe: rotary models); one dispatch per wte
 * part. pos0 comes from gpu.step. wte and wpe share a dtype (f32 or f16); C is a multiple of 4.
 */
export function embed(
  gpu: Gpu,
  a: { ids: GPUBuffer; wte: GpuTensor; wpe: GpuTensor | null; out: GPUBuffer; T: number; C: number; scale?: number },
): Dispatch[] {
  const { T, C } = a;
  positiveInts('embed', { T, C });
  if (C % 4) throw new Error(`embed: C=${C} must be a multiple of 4 (vec4 reads)`);
  if (a.wpe && a.wte.dtype !== a.wpe.dtype) throw new Error(`embed: wte is ${a.wte.dtype} but wpe is ${a.wpe.dtype}`);
  if (a.wpe && a.wpe.parts.length !== 1) throw new Error('embed: wpe must be one part');
  holds('embed', 'out', a.out, T * C);
  return a.wte.parts.map((part, i) =>
    gpu.dispatch(
      weightOp('embed', a.wte.dtype),
      `embed[${i}]`,
      [gpu.params('embed', [T, C / 4, part.row0, part.rows, f32(a.scale ?? 1), 0, 0, 0]), gpu.step, a.ids, part.buffer, (a.wpe ?? a.wte).parts[0].buffer, a.out],
      [Math.ceil(C / 4 / 64), T],
      { POS: a.wpe ? 1 : 0 },
    ),
  );
}
