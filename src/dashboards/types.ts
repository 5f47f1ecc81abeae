// Built dashboards: the FeatureSummary / FeatureDetail shapes the UI shows (features.svelte.ts),
// for any SAE, from a corpus run in the browser (collect.ts) or a Neuronpedia import.
import type { FeatureContext, FeatureDetail, FeatureSummary } from '../ui/state/features.svelte';

/** Tokens kept before and after an example's max token. */
export const BEFORE = 10;
export const AFTER = 3;
export const WINDOW = BEFORE + 1 + AFTER;
/** Octave buckets of the interval samples: bucket b holds [2^(b + OCT0), 2^(b + OCT0 + 1)), the ends open. */
export const OCTAVES = 14;
export const OCT0 = -5;

/** How a label was made: from the examples' distinctive tokens, or imported. */
export type BuiltLabelKind = 'tokens' | 'neuronpedia';

/** Samples from one activation interval [lo, hi) (SAEDashboard's quantile groups, octave-wide here). */
export interface IntervalSamples {
  lo: number;
  hi: number;
  /** Firings seen in the interval; the contexts are a uniform sample of them. */
  seen: number;
  contexts: FeatureContext[];
}

export interface BuiltSummary extends FeatureSummary {
  labelKind: BuiltLabelKind;
}

export interface BuiltDetail extends FeatureDetail {
  labelKind: BuiltLabelKind;
  intervals: IntervalSamples[];
}

export interface BuiltMeta {
  /** Where the dashboards came from. */
  source: 'built' | 'neuronpedia';
  model: string;
  sae: string;
  /** The corpus's name and content hash (built), or the imported files' names. */
  corpus: string;
  corpusHash: string;
  ctxLen: number;
  /** Tokens the statistics cover. */
  nTokens: number;
  hookName: string;
  builtAt: string;
}

/** Dashboards for every feature; contexts' token ids index `tokens` (their text). */
export interface BuiltDashboards {
  meta: BuiltMeta;
  summaries: BuiltSummary[];
  details: BuiltDetail[];
  tokens: string[];
}
