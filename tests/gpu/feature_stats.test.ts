import { describe, expect, it } from 'vitest';
import { featureStats, FEATURE_STATS_STRIDE } from '../../src/kernels/feature_stats';
import { featureStatsRef } from '../../src/reference/feature_stats';
import { Rng } from '../../src/model/rng';
import { readBuffer } from '../../src/gpu/buffers';
import { empty, getGpu, upload } from './gpu';

/** A chunk of sparse activations: ~70% zeros, positives at `scale`, some negatives (never counted). */
function chunk(rng: Rng, T: number, S: number, scale: number): Float32Array {
  const f = new Float32Array(T * S);
  for (let i = 0; i < f.length; i++) {
    const u = rng.next();
    f[i] = u < 0.7 ? 0 : u < 0.75 ? -rng.next() : rng.next() * scale;
  }
  return f;
}

describe('feature_stats', () => {
  // S a multiple of 4 times an odd number, S below, at and past a 64-feature workgroup, the grid
  // folded into 2D; T = 1, 37 and 64; several chunks per run, their scales growing so that the
  // histogram folds by one octave, by several, by more than its 5 bit shift (everything to bin 0)
  // and not at all (a smaller chunk after a larger).
  for (const [S, Ts, scales, maxGridX] of [
    [4, [1, 1, 1], [1, 2, 0.5], undefined],
    [12, [37, 1, 37], [0.3, 5, 1e3], undefined],
    [148, [64, 37, 1, 64], [1, 1.9, 40, 0.01], undefined],
    [4 * 129, [37, 37], [2, 2.5], 3],
  ] as Array<[number, number[], number[], number | undefined]>) {
    it(`S=${S}, chunks T=${Ts.join(',')}${maxGridX ? `, grid folded at ${maxGridX}` : ''}`, async () => {
      const g = await getGpu();
      const rng = new Rng(S * 31 + Ts.length);
      const stats = empty(g, S * FEATURE_STATS_STRIDE, 'stats');
      const ref = new Uint32Array(S * FEATURE_STATS_STRIDE);
      let T0 = 0;
      for (const [i, T] of Ts.entries()) {
        const f = chunk(rng, T, S, scales[i]);
        // one exact power of two and one value just under it: the edges of the range and of a bin
        f[0] = 2;
        if (T * S > 5) f[5] = Math.fround(2 - 2 ** -20);
        g.run([featureStats(g, { f: upload(g, f), stats, T, S, maxGridX })]);
        featureStatsRef(f, T, S, ref);
        T0 += T;
      }
      const got = new Uint32Array(await readBuffer(g.device, stats));
      const firstBad = got.findIndex((v, i) => v !== ref[i]);
      const where = firstBad < 0 ? '' : `feature ${Math.floor(firstBad / FEATURE_STATS_STRIDE)} word ${firstBad % FEATURE_STATS_STRIDE}: got ${got[firstBad]} ref ${ref[firstBad]}`;
      expect(firstBad, where).toBe(-1);
      // the histogram holds every positive activation, and the counts are those of f > 0
      for (let s = 0; s < S; s++) {
        const row = ref.subarray(s * FEATURE_STATS_STRIDE, (s + 1) * FEATURE_STATS_STRIDE);
        expect(row.subarray(4).reduce((a, b) => a + b, 0)).toBe(row[0]);
        expect(row[0]).toBeLessThanOrEqual(T0);
      }
      expect(ref[0]).toBeGreaterThan(0);
    });
  }
});
