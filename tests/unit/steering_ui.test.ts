import { describe, expect, it } from 'vitest';
import { fromSlider, sweepStrengths, toSlider } from '../../src/ui/state/strength';
import { measure, parseWordSet, ticks, wordShare } from '../../src/ui/state/measures';

describe('the steering slider scale', () => {
  it('is fine near 0, reaches ±300, and shows any strength at its own position', () => {
    expect(fromSlider(0)).toBe(0);
    expect(fromSlider(1)).toBe(300);
    expect(fromSlider(-1)).toBe(-300);
    expect(fromSlider(0.1)).toBe(0.3);
    expect(fromSlider(0.005)).toBeGreaterThan(0);
    expect(fromSlider(0.005)).toBeLessThan(1e-4);
    // over 20 distinct strengths between 0 and 1
    expect(new Set(Array.from({ length: 201 }, (_, i) => fromSlider(i * 0.005)).filter((v) => v > 0 && v <= 1)).size).toBeGreaterThan(20);
    for (const v of [1.25, 50, -3.5, 0.01, 300]) expect(fromSlider(toSlider(v))).toBeCloseTo(v, v < 1 ? 2 : 0);
    expect(toSlider(1e4)).toBe(1);
  });

  it('sweeps evenly from a to b', () => {
    expect(sweepStrengths(0, 12, 3)).toEqual([0, 6, 12]);
    expect(sweepStrengths(-1, 1, 5)).toEqual([-1, -0.5, 0, 0.5, 1]);
  });
});

describe('sweep measures', () => {
  const point = { strength: 2, ids: [], text: ' The Sea, the sea and a boat', featureMean: 1.5, klMean: 0.25 };
  it('word share counts words in any case; ticks are round', () => {
    const set = parseWordSet('sea, ocean  waves');
    expect(wordShare(point.text, set)).toBeCloseTo(2 / 7);
    expect(wordShare('', set)).toBe(0);
    expect([measure(point, 'feature', set), measure(point, 'kl', set), measure(point, 'words', set)]).toEqual([1.5, 0.25, 2 / 7]);
    expect(ticks(0, 12, 6)).toEqual([0, 2, 4, 6, 8, 10, 12]);
    expect(ticks(-0.3, 0.65, 4)).toEqual([0, 0.5]);
    expect(ticks(0, 0.65, 4)).toEqual([0, 0.2, 0.4, 0.6]);
    expect(ticks(3, 3)).toEqual([3]);
  });
});
