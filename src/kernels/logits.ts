import type { Dispatch, Gpu } from '../gpu/gpu';
import type { GpuTensor } from '../gpu/buffers';
import { weightOp, type Constants } from '../gpu/pipelines';
import { holds, positiveInts } from './check';

/** Threads per workgroup and per vocab row (see logits.wgsl): one per row on a CPU adapter, 32 on a GPU. */
export function logitsLaunch(gpu: Gpu): { WG: number; LANES: number } & Constants {
  return gpu.adapterClass === 'cpu' ? { WG: 64, LANES: 1 } : { WG: 256, LANES: 32 };
}

/**
 * out (R, V) = x[row0 .. row0+R] (T, C) @ wte (V, C)^T: the tied LM head, only at the rows that
 * need logits. One dispatch per wte part; wte (or an untied lm_head, same layout) is f32 or f16.
 * softcap > 0 caps each logit at softcap * tanh(logit / softcap) (Gemma 2's final soft-capping).
 */
export function logits(
  gpu: Gpu,
  a: { x: GPUBuffer; wte: GpuTensor; out: GPUBuffer; row0: number; R: number; C: number; V: number; softcap?: number },
): Dispatch[] {
  const { R, C, V } = a;
  positiveInts('logits', { R, C, V });
  if (C % 4) throw new Error(`logits: C=${C} must be a multiple of 4 (vec4 reads)`);
  holds('logits', 'x', a.x, (a.row0 + R) * C);
  holds('logits', 'out', a.out, R * V);
  const launch = logitsLaunch(gpu);
  const rowsPerGroup = launch.WG / launch.LANES;
  return a.wte.parts.map((part, i) =>
    gpu.dispatch(
      weightOp('logits', a.wte.dtype),
      `logits[${i}]`,
      [gpu.params('logits', [C / 4, V, a.row0, part.row0, part.rows, 0, 0, 0]), a.x, part.buffer, a.out],
      [Math.ceil(part.rows / rowsPerGroup), R],
      { ...launch, ...(a.softcap ? { SOFTCAP: a.softcap } : {}) },
    ),
  );
}
