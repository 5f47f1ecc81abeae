import type { Dispatch, Gpu } from '../gpu/gpu';
import { MAX_GRID } from '../gpu/gpu';
import type { Constants } from '../gpu/pipelines';
import { holds, positiveInts } from './check';

/** Threads per workgroup and per row (see row_cosine.wgsl): one per row on a CPU adapter, 32 on a GPU. */
export function rowCosineLaunch(gpu: Gpu): { WG: number; LANES: number } & Constants {
  return gpu.adapterClass === 'cpu' ? { WG: 64, LANES: 1 } : { WG: 256, LANES: 32 };
}

/**
 * out (S) = cos(w[s], w[q]) for every row s of w (S, C), f32: an SAE's decoder-cosine neighbours
 * of feature q when w is W_dec. A zero row scores 0 (the norms' product is clamped at 1e-8).
 * Past maxGridX workgroups the grid folds into 2D (tests fold it at small S).
 */
export function rowCosine(
  gpu: Gpu,
  a: { w: GPUBuffer; out: GPUBuffer; S: number; C: number; q: number; label?: string; maxGridX?: number },
): Dispatch {
  const { S, C, q } = a;
  positiveInts('row_cosine', { S, C });
  if (C % 4) throw new Error(`row_cosine: C=${C} must be a multiple of 4 (vec4 reads)`);
  if (!(Number.isInteger(q) && q >= 0 && q < S)) throw new Error(`row_cosine: q=${q} is not a row of 0..${S - 1}`);
  holds('row_cosine', 'w', a.w, S * C);
  holds('row_cosine', 'out', a.out, S);
  const launch = rowCosineLaunch(gpu);
  const groups = Math.ceil(S / (launch.WG / launch.LANES));
  const gx = Math.min(groups, a.maxGridX ?? MAX_GRID);
  const label = a.label ?? 'row_cosine';
  return gpu.dispatch('row_cosine', label, [gpu.params(label, [C / 4, S, q, gx]), a.w, a.out], [gx, Math.ceil(groups / gx)], launch);
}
