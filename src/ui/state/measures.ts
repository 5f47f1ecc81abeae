// Measures a dose-response sweep plots against strength, computed from a point (see SweepPoint).
import type { SweepPoint } from '../../worker/api';

export type SweepMeasure = 'feature' | 'kl' | 'words';

/** The words of a text, lower case (letters and digits in any script). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** The share of a text's words that are in the set (0 for a text without words). */
export function wordShare(text: string, set: ReadonlySet<string>): number {
  const w = words(text);
  return w.length ? w.filter((x) => set.has(x)).length / w.length : 0;
}

/** A word set typed as "ocean, sea, wave" (commas or spaces). */
export function parseWordSet(s: string): Set<string> {
  return new Set(words(s));
}

export function measure(p: SweepPoint, m: SweepMeasure, set: ReadonlySet<string>): number {
  return m === 'feature' ? p.featureMean : m === 'kl' ? p.klMean : wordShare(p.text, set);
}

export const MEASURE_LABEL: Record<SweepMeasure, string> = {
  feature: 'feature mean activation on generated tokens',
  kl: 'mean KL(steered ‖ baseline) per token, nats',
  words: 'share of generated words in the set',
};

/** Round axis ticks covering [lo, hi]: about n of them at 1, 2 or 5 times a power of ten. */
export function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}
