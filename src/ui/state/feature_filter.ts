// What the feature list shows: dense features hidden by default (Neuronpedia hides features firing
// on more than 1% of tokens from its lists: they fire on almost anything and crowd out the
// specific ones), and rows in pages.

/** The default density above which a feature is hidden from lists (a fraction of tokens). */
export const DENSE_DEFAULT = 0.01;
/** Thresholds offered in the list (null: hide none). */
export const DENSE_CHOICES: Array<number | null> = [0.001, 0.01, 0.05, null];
/** Rows per page of the feature list. */
export const PAGE = 40;

export interface DensitySplit<T> {
  shown: T[];
  /** How many were hidden as dense. */
  hidden: number;
}

/**
 * Splits hits into those shown and the number hidden: a feature is hidden when its density is
 * known and above `threshold`. An unknown density (NaN: an SAE without feature data) never hides.
 */
export function hideDense<T extends { id: number }>(hits: T[], density: (id: number) => number, threshold: number | null): DensitySplit<T> {
  if (threshold === null) return { shown: hits, hidden: 0 };
  const shown = hits.filter((h) => !(density(h.id) > threshold));
  return { shown, hidden: hits.length - shown.length };
}

/** "1%", "0.1%": a threshold as the list names it. */
export const percent = (x: number) => `${+(x * 100).toPrecision(2)}%`;
