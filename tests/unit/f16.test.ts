import { describe, expect, it } from 'vitest';
import { chooseWeightDtype } from '../../src/gpu/device';
import { fromHalfBits, roundToHalf, toHalfBits } from '../../src/gpu/f16';
import { Rng } from '../../src/model/rng';

describe('half precision', () => {
  it('encodes exact values, the extremes and the specials', () => {
    const cases: Array<[number, number]> = [
      [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff],
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [1023 * 2 ** -24, 0x03ff], // largest subnormal
      [Infinity, 0x7c00], [-Infinity, 0xfc00],
      [65520, 0x7c00], // halfway to the next power of two rounds to Inf
      [1e10, 0x7c00], [1e-10, 0x0000], [-1e-10, 0x8000],
    ];
    for (const [v, bits] of cases) expect(toHalfBits(v), `${v}`).toBe(bits);
    expect(toHalfBits(NaN) & 0x7c00).toBe(0x7c00);
    expect(Number.isNaN(fromHalfBits(toHalfBits(NaN)))).toBe(true);
  });

  it('rounds to nearest, ties to even, in the normal and subnormal ranges', () => {
    const ulp1 = 2 ** -10; // spacing of halves in [1, 2)
    expect(toHalfBits(1 + ulp1 / 2)).toBe(0x3c00); // tie, 1.0 is even
    expect(toHalfBits(1 + (3 * ulp1) / 2)).toBe(0x3c02); // tie, rounds up to even
    expect(toHalfBits(1 + ulp1 / 2 + 2 ** -20)).toBe(0x3c01); // just past the tie
    expect(toHalfBits(2 ** -25)).toBe(0x0000); // half the smallest subnormal: tie to 0
    expect(toHalfBits(3 * 2 ** -25)).toBe(0x0002); // 1.5 ulp: tie to even 2
    expect(toHalfBits(2 ** -25 + 2 ** -30)).toBe(0x0001);
    expect(toHalfBits(2 ** -14 - 2 ** -26)).toBe(0x0400); // rounds up into the normals
    expect(toHalfBits(2047.5)).toBe(0x6800); // carry out of the significand: 2048
  });

  it('round-trips every half and is the nearest half for random floats', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = fromHalfBits(h);
      if (Number.isNaN(v)) continue;
      expect(toHalfBits(v)).toBe(h);
    }
    const rng = new Rng(7);
    const x = Float32Array.from({ length: 20000 }, (_, i) => rng.normal() * 2 ** ((i % 36) - 24));
    const r = roundToHalf(x);
    for (let i = 0; i < x.length; i++) {
      const h = toHalfBits(x[i]);
      expect(r[i]).toBe(fromHalfBits(h));
      // no half is closer: compare with both neighbours
      const d = Math.abs(r[i] - x[i]);
      for (const n of [h - 1, h + 1]) {
        if ((n & 0x7fff) > 0x7bff || n < 0 || (h & 0x7fff) === 0) continue;
        expect(d).toBeLessThanOrEqual(Math.abs(fromHalfBits(n) - x[i]));
      }
    }
  });

  it("'auto' picks f16 only where the adapter has shader-f16", () => {
    const features = { subgroups: true, subgroupId: true, timestampQuery: true };
    expect(chooseWeightDtype('auto', { ...features, shaderF16: true })).toBe('f16');
    expect(chooseWeightDtype('auto', { ...features, shaderF16: false })).toBe('f32');
    expect(chooseWeightDtype('f16', { ...features, shaderF16: false })).toBe('f16');
    expect(chooseWeightDtype('f32', { ...features, shaderF16: true })).toBe('f32');
  });
});
