import { describe, expect, it } from 'vitest';
import { DENSE_CHOICES, DENSE_DEFAULT, PAGE, hideDense, percent } from '../../src/ui/state/feature_filter';
import { readUrl, writeUrl } from '../../src/ui/state/url';

describe('dense features in the list', () => {
  const hits = [0, 1, 2, 3, 4].map((id) => ({ id, value: 5 - id }));
  const density = [0.2, 0.001, 0.01, NaN, 0.0101];

  it('hides features denser than the threshold, never one of unknown density, keeping the order', () => {
    const got = hideDense(hits, (id) => density[id], DENSE_DEFAULT);
    expect(got.shown.map((h) => h.id)).toEqual([1, 2, 3]); // 0.01 itself is not above 1%
    expect(got.hidden).toBe(2);
    expect(hideDense(hits, (id) => density[id], 0.001)).toEqual({ shown: [hits[1], hits[3]], hidden: 3 });
    expect(hideDense(hits, (id) => density[id], null)).toEqual({ shown: hits, hidden: 0 });
    expect(hideDense(hits, () => NaN, 0).hidden).toBe(0);
  });

  it('offers Neuronpedia\'s 1% by default and "show all", names thresholds as percents, pages by 40', () => {
    expect(DENSE_DEFAULT).toBe(0.01);
    expect(DENSE_CHOICES).toContain(DENSE_DEFAULT);
    expect(DENSE_CHOICES).toContain(null);
    expect(DENSE_CHOICES.map((c) => (c === null ? null : percent(c)))).toEqual(['0.1%', '1%', '5%', null]);
    expect(PAGE).toBe(40);
  });
});

describe('URL: selected token and open dashboard', () => {
  it('round-trips tok= and feature=, and leaves them out when absent or bad', () => {
    const s = readUrl('?prompt=hi&tok=5&feature=123');
    expect([s.token, s.feature]).toEqual([5, 123]);
    expect(writeUrl(s)).toMatch(/[?&]tok=5&feature=123$/);
    expect(readUrl(writeUrl(s))).toEqual(s);
    for (const bad of ['?tok=-1&feature=x', '?tok=1.5&feature=', '?tok=1e3&feature=%20']) {
      const b = readUrl(bad);
      expect([b.token, b.feature]).toEqual([undefined, undefined]);
      expect(writeUrl(b)).not.toMatch(/tok=|feature=/);
    }
    expect(readUrl('?tok=0').token).toBe(0);
  });
});
