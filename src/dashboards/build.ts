// From a finished (or partial) CollectState to the dashboards the UI shows: per feature its
// density, max activation and histogram (from the GPU statistics), its top contexts strongest
// first and its interval samples as token windows, and a label from its examples' most
// distinctive tokens.
import { ngramLabels } from '../store/ngram_labels';
import { FEATURE_STATS_BINS as NB, FEATURE_STATS_STRIDE as STRIDE } from '../kernels/feature_stats';
import type { FeatureContext } from '../ui/state/features.svelte';
import { AFTER, BEFORE, OCT0, OCTAVES, WINDOW, type CollectState } from './collect';
import type { BuiltDashboards, BuiltDetail, BuiltMeta, IntervalSamples } from './types';

const round3 = (x: number) => (x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(4)));

export interface FeatureStats {
  count: number;
  maxAct: number;
  /** Bins over [0, max): the bins up to the last non-empty one of the GPU's [0, 2^e) histogram. */
  histogram: { min: number; max: number; counts: number[] };
}

/** One feature's statistics from the (S, STRIDE) words feature_stats.wgsl keeps. */
export function featureStatsOf(stats: Uint32Array, s: number): FeatureStats {
  const row = stats.subarray(s * STRIDE, (s + 1) * STRIDE);
  const count = row[0];
  const maxAct = new Float32Array(row.buffer, row.byteOffset + 4, 1)[0];
  if (!count) return { count, maxAct: 0, histogram: { min: 0, max: 0, counts: [] } };
  const e = new Int32Array(row.buffer, row.byteOffset + 8, 1)[0];
  const bins = Array.from(row.subarray(4, 4 + NB));
  let last = NB - 1;
  while (last > 0 && !bins[last]) last--;
  return { count, maxAct, histogram: { min: 0, max: ((last + 1) * 2 ** e) / NB, counts: bins.slice(0, last + 1) } };
}

/** Tokens interned into one table: contexts refer to them by index. */
class TokenTable {
  readonly texts: string[] = [];
  private readonly byId = new Map<number, number>();
  constructor(private readonly piece: (id: number) => string) {}
  of(id: number): number {
    let i = this.byId.get(id);
    if (i === undefined) this.byId.set(id, (i = this.texts.push(this.piece(id)) - 1));
    return i;
  }
}

export function finishDashboards(st: CollectState, ids: Uint32Array, piece: (id: number) => string, meta: Omit<BuiltMeta, 'nTokens' | 'ctxLen' | 'source'>): BuiltDashboards {
  const { S, N, R, ctxLen: L } = st;
  const nTokens = st.done * L;
  const table = new TokenTable(piece);
  // token frequencies over the contexts run, for the labels' distinctiveness
  const freq = new Map<number, number>();
  for (let i = 0; i < nTokens; i++) freq.set(ids[i], (freq.get(ids[i]) ?? 0) + 1);
  const context = (val: Float32Array, ctx: Uint32Array, at: Uint16Array, acts: Float32Array, k: number): FeatureContext => {
    const w = acts.subarray(k * WINDOW, (k + 1) * WINDOW);
    const t0 = Math.max(0, at[k] - BEFORE);
    const t1 = Math.min(L - 1, at[k] + AFTER);
    const tokens: number[] = [];
    const values: number[] = [];
    for (let t = t0; t <= t1; t++) {
      tokens.push(table.of(ids[ctx[k] * L + t]));
      values.push(round3(w[t - at[k] + BEFORE]));
    }
    return { tokens, acts: values, max_at: at[k] - t0, topic: null };
  };
  const details: BuiltDetail[] = [];
  for (let s = 0; s < S; s++) {
    const fs = featureStatsOf(st.stats, s);
    const order = Array.from({ length: st.topCount[s] }, (_, i) => s * N + i).sort((a, b) => st.topVal[b] - st.topVal[a] || st.topCtx[a] - st.topCtx[b]);
    const contexts = order.map((k) => context(st.topVal, st.topCtx, st.topAt, st.topActs, k));
    const intervals: IntervalSamples[] = [];
    for (let b = OCTAVES - 1; b >= 0; b--) {
      const q = s * OCTAVES + b;
      const seen = st.resSeen[q];
      if (!seen) continue;
      const lo = b === 0 ? 0 : 2 ** (b + OCT0);
      const hi = b === OCTAVES - 1 ? fs.maxAct : Math.min(2 ** (b + OCT0 + 1), fs.maxAct);
      const ks = Array.from({ length: Math.min(seen, R) }, (_, i) => q * R + i).sort((a, b2) => st.resVal[b2] - st.resVal[a]);
      intervals.push({ lo: round3(lo), hi: round3(hi), seen, contexts: ks.map((k) => context(st.resVal, st.resCtx, st.resAt, st.resActs, k)) });
    }
    const label = fs.count ? distinctive(order.map((k) => [ids[st.topCtx[k] * L + st.topAt[k]], st.topVal[k]]), freq, nTokens, piece) : '(not seen in the corpus)';
    details.push({
      id: s, label, labelKind: 'tokens', max_act: fs.maxAct, density: nTokens ? fs.count / nTokens : 0, histogram: fs.histogram,
      topics: [], langs: {}, contexts, intervals, promoted: [], suppressed: [], neighbours: [],
    });
  }
  // the label search reads: distinctive n-grams of the examples (src/store/ngram_labels.ts)
  const ngrams = ngramLabels(details, table.texts);
  return {
    meta: { ...meta, source: 'built', ctxLen: L, nTokens },
    summaries: details.map((d, i) => ({ id: d.id, label: d.label, labelKind: d.labelKind, maxAct: d.max_act, density: d.density, ...(ngrams[i] ? { ngram: ngrams[i] } : {}) })),
    details,
    tokens: table.texts,
  };
}

/**
 * Three tokens that mark a feature: its top examples' max tokens, each scored by the activation
 * it carries there times its rarity in the corpus (log of inverse frequency), ties to the first.
 */
function distinctive(maxTokens: Array<[number, number]>, freq: Map<number, number>, total: number, piece: (id: number) => string): string {
  const score = new Map<string, number>();
  for (const [id, v] of maxTokens) {
    const text = piece(id).trim() || JSON.stringify(piece(id));
    score.set(text, (score.get(text) ?? 0) + v * Math.log((total + 1) / (freq.get(id) ?? 1)));
  }
  return [...score].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([t]) => t).join(', ') || '(no examples)';
}
