import type { Dispatch, Gpu } from '../gpu/gpu';
import { MAX_GRID } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/** Histogram bins per feature (NB in shaders/feature_stats.wgsl). */
export const FEATURE_STATS_BINS = 32;
/** u32 words of running statistics per feature: count, max (f32 bits), e (i32 bits), unused, then the bins. */
export const FEATURE_STATS_STRIDE = 4 + FEATURE_STATS_BINS;
const WG = 64;

/**
 * Adds the T tokens of f (T, S) to the running per-feature statistics stats (S, STRIDE) u32:
 * tokens with f > 0, max, and a histogram over [0, 2^e) that widens as max grows (layout and
 * exactness in shaders/feature_stats.wgsl). stats starts zeroed. Past maxGridX workgroups the
 * grid folds into 2D (tests fold it at small S).
 */
export function featureStats(gpu: Gpu, a: { f: GPUBuffer; stats: GPUBuffer; T: number; S: number; label?: string; maxGridX?: number }): Dispatch {
  const { T, S } = a;
  positiveInts('feature_stats', { T, S });
  holds('feature_stats', 'f', a.f, T * S);
  holds('feature_stats', 'stats', a.stats, S * FEATURE_STATS_STRIDE);
  const groups = Math.ceil(S / WG);
  const gx = Math.min(groups, a.maxGridX ?? MAX_GRID);
  const label = a.label ?? 'feature_stats';
  return gpu.dispatch('feature_stats', label, [gpu.params(label, [T, S, gx]), a.f, a.stats], [gx, Math.ceil(groups / gx)], { WG });
}
