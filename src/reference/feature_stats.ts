import { FEATURE_STATS_BINS as NB, FEATURE_STATS_STRIDE as STRIDE } from '../kernels/feature_stats';

/** floor(log2(v)) of a positive f32, from its exponent bits, as the shader computes it. */
function octave(v: number): number {
  const bits = new Uint32Array(Float32Array.of(v).buffer)[0];
  return ((bits >>> 23) & 0xff) - 127;
}

/**
 * Adds f (T, S) to the running statistics stats (S, 4 + NB) u32 in place, as feature_stats.wgsl
 * does: per feature the count of f > 0, the max (f32 bits), e (i32 bits; bins over [0, 2^e)) and
 * the histogram. Plain loops, for tests.
 */
export function featureStatsRef(f: Float32Array, T: number, S: number, stats: Uint32Array): Uint32Array {
  const asF32 = new Float32Array(stats.buffer, stats.byteOffset, stats.length);
  const asI32 = new Int32Array(stats.buffer, stats.byteOffset, stats.length);
  for (let s = 0; s < S; s++) {
    const vals: number[] = [];
    for (let t = 0; t < T; t++) if (f[t * S + s] > 0) vals.push(f[t * S + s]);
    if (!vals.length) continue;
    const mx = Math.max(...vals);
    const base = s * STRIDE;
    let e = octave(mx) + 1;
    if (stats[base] > 0) {
      const e0 = asI32[base + 2];
      if (e > e0) {
        const d = Math.min(e - e0, Math.log2(NB));
        const folded = new Array<number>(NB).fill(0);
        for (let i = 0; i < NB; i++) folded[i >> d] += stats[base + 4 + i];
        for (let i = 0; i < NB; i++) stats[base + 4 + i] = folded[i];
      } else e = e0;
    }
    stats[base] += vals.length;
    asF32[base + 1] = Math.max(asF32[base + 1], mx);
    asI32[base + 2] = e;
    for (const v of vals) stats[base + 4 + Math.min(Math.floor(v * 2 ** (Math.log2(NB) - e)), NB - 1)]++;
  }
  return stats;
}
