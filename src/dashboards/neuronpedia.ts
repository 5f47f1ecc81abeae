// Neuronpedia's dashboard exports (the `features` and `activations` JSONL batches of its S3
// datasets, as SAEDashboard's converter writes them), both ways: built dashboards export as those
// two files, and such files (gzipped or not, one or many batches) import into the built-dashboard
// shape the UI shows. Field names follow Neuronpedia's Feature and Activation records.
import { ModelFileError } from '../errors';
import { gunzip } from '../store/labels';
import { AFTER, BEFORE, type BuiltDashboards, type BuiltDetail, type IntervalSamples } from './types';
import type { FeatureContext } from '../ui/state/features.svelte';

/** Neuronpedia's source id for the SAE ("<layer>-<set>"), from the hook's layer and the SAE's name. */
export function sourceId(b: BuiltDashboards): string {
  const layer = /^blocks\.(\d+)\./.exec(b.meta.hookName)?.[1] ?? '0';
  return `${layer}-${b.meta.sae.replace(/[^\w.-]+/g, '_')}`;
}

/** features.jsonl: one line per feature. */
export function exportFeatures(b: BuiltDashboards): string {
  const modelId = b.meta.model;
  const layer = sourceId(b);
  return b.details
    .map((d) => {
      const { counts, max } = d.histogram;
      const w = counts.length ? max / counts.length : 0;
      return JSON.stringify({
        modelId, layer, index: String(d.id), hookName: b.meta.hookName, maxActApprox: d.max_act, frac_nonzero: d.density,
        freq_hist_data_bar_heights: counts, freq_hist_data_bar_values: counts.map((_, i) => (i + 0.5) * w),
        pos_str: d.promoted.map(([t]) => b.tokens[t] ?? ''), pos_values: d.promoted.map(([, v]) => v),
        neg_str: d.suppressed.map(([t]) => b.tokens[t] ?? ''), neg_values: d.suppressed.map(([, v]) => v),
        topkCosSimIndices: d.neighbours.map(([i]) => i), topkCosSimValues: d.neighbours.map(([, v]) => v),
        vectorLabel: d.label,
      });
    })
    .join('\n') + '\n';
}

/** activations.jsonl: one line per example, top contexts first, then interval samples with their bins. */
export function exportActivations(b: BuiltDashboards): string {
  const modelId = b.meta.model;
  const layer = sourceId(b);
  const lines: string[] = [];
  const row = (d: BuiltDetail, c: FeatureContext, n: number, bin?: IntervalSamples) =>
    JSON.stringify({
      id: `${modelId}@${layer}:${d.id}:${n}`, modelId, layer, index: String(d.id), tokens: c.tokens.map((t) => b.tokens[t] ?? ''), values: c.acts,
      maxValue: c.acts[c.max_at], maxValueTokenIndex: c.max_at, minValue: Math.min(...c.acts), dataSource: b.meta.corpus,
      ...(bin ? { binMin: bin.lo, binMax: bin.hi, binContains: bin.seen / Math.max(1, Math.round(d.density * b.meta.nTokens)) } : {}),
    });
  for (const d of b.details) {
    let n = 0;
    for (const c of d.contexts) lines.push(row(d, c, n++));
    for (const q of d.intervals) for (const c of q.contexts) lines.push(row(d, c, n++, q));
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}

interface Act {
  index: number;
  tokens: string[];
  values: number[];
  maxAt: number;
  binMin: number | null;
  binMax: number | null;
}

interface Feat {
  maxAct?: number;
  density?: number;
  histogram?: { min: number; max: number; counts: number[] };
  label?: string;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const nums = (v: unknown): v is number[] => Array.isArray(v) && v.every(isNum);

/** The rows of one file: JSON lines (or one JSON array), gzipped or not. */
function rowsOf(bytes: Uint8Array, file: string): Array<[number, Record<string, unknown>]> {
  const data = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzip(bytes, file) : bytes;
  const text = new TextDecoder().decode(data).trim();
  if (!text) throw new ModelFileError(file, 'is empty. Pick a Neuronpedia features or activations export (.jsonl or .jsonl.gz).');
  if (text.startsWith('[')) {
    try {
      return (JSON.parse(text) as Array<Record<string, unknown>>).map((r, i) => [i + 1, r]);
    } catch (e) {
      throw new ModelFileError(file, `is not valid JSON (${(e as Error).message}).`);
    }
  }
  return text.split('\n').flatMap((line, i): Array<[number, Record<string, unknown>]> => {
    if (!line.trim()) return [];
    try {
      const r = JSON.parse(line);
      if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new Error('not an object');
      return [[i + 1, r]];
    } catch (e) {
      throw new ModelFileError(file, `line ${i + 1} is not a JSON object (${(e as Error).message}). Neuronpedia exports hold one object per line.`);
    }
  });
}

function indexOf(r: Record<string, unknown>, file: string, line: number): number {
  const raw = r.index;
  const id = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!(Number.isSafeInteger(id) && id >= 0)) throw new ModelFileError(file, `line ${line}: "index" is ${JSON.stringify(raw)}, not a feature number.`);
  return id;
}

/**
 * Imports Neuronpedia features and activations batches (any mix of files) into built dashboards
 * of `dSae` features (features beyond the exports' get no examples). Throws ModelFileError naming
 * the file and line for rows that are neither, or whose fields are malformed.
 */
export function importNeuronpedia(files: Array<{ name: string; bytes: Uint8Array }>, meta: { model: string; sae: string; hookName: string; dSae: number }): BuiltDashboards {
  const feats = new Map<number, Feat>();
  const acts: Act[] = [];
  for (const { name, bytes } of files) {
    for (const [line, r] of rowsOf(bytes, name)) {
      const id = indexOf(r, name, line);
      if (id >= meta.dSae) throw new ModelFileError(name, `line ${line}: feature ${id} does not exist in the loaded SAE (features 0..${meta.dSae - 1}). Is the export for another SAE?`);
      if ('values' in r || 'tokens' in r) {
        const { tokens, values } = r;
        if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === 'string') || !nums(values) || values.length !== tokens.length || !tokens.length) {
          throw new ModelFileError(name, `line ${line}: an activation needs "tokens" (strings) and "values" (numbers) of the same non-zero length.`);
        }
        const maxAt = Number.isInteger(r.maxValueTokenIndex) && (r.maxValueTokenIndex as number) < values.length ? (r.maxValueTokenIndex as number) : values.indexOf(Math.max(...values));
        const bin = isNum(r.binMin) && r.binMin >= 0 && isNum(r.binMax) ? { binMin: r.binMin, binMax: r.binMax } : { binMin: null, binMax: null };
        acts.push({ index: id, tokens: tokens as string[], values, maxAt, ...bin });
      } else if ('maxActApprox' in r || 'frac_nonzero' in r || 'freq_hist_data_bar_heights' in r) {
        const f: Feat = {};
        if (isNum(r.maxActApprox)) f.maxAct = r.maxActApprox;
        if (isNum(r.frac_nonzero)) f.density = r.frac_nonzero;
        const h = r.freq_hist_data_bar_heights;
        const v = r.freq_hist_data_bar_values;
        if (nums(h) && nums(v) && h.length === v.length && h.length) {
          const w = v.length > 1 ? v[1] - v[0] : 2 * v[0];
          f.histogram = { min: Math.max(0, v[0] - w / 2), max: v[v.length - 1] + w / 2, counts: h };
        }
        if (typeof r.vectorLabel === 'string' && r.vectorLabel) f.label = r.vectorLabel;
        feats.set(id, f);
      } else {
        throw new ModelFileError(name, `line ${line} is neither a feature (maxActApprox, frac_nonzero, freq_hist_data_bar_heights) nor an activation (tokens, values). Pick Neuronpedia's features or activations export.`);
      }
    }
  }
  const tokens: string[] = [];
  const tokenIds = new Map<string, number>();
  const intern = (t: string) => tokenIds.get(t) ?? (tokenIds.set(t, tokens.push(t) - 1), tokens.length - 1);
  // each example as a window around its max token, as built ones are
  const context = (a: Act): FeatureContext => {
    const t0 = Math.max(0, a.maxAt - BEFORE);
    const t1 = Math.min(a.values.length - 1, a.maxAt + AFTER);
    return { tokens: a.tokens.slice(t0, t1 + 1).map(intern), acts: a.values.slice(t0, t1 + 1), max_at: a.maxAt - t0, topic: null };
  };
  const byFeature = new Map<number, Act[]>();
  for (const a of acts) byFeature.set(a.index, [...(byFeature.get(a.index) ?? []), a]);
  const details: BuiltDetail[] = [];
  for (let id = 0; id < meta.dSae; id++) {
    const f = feats.get(id) ?? {};
    const mine = (byFeature.get(id) ?? []).sort((a, b) => b.values[b.maxAt] - a.values[a.maxAt]);
    const top = mine.filter((a) => a.binMin === null);
    const bins = new Map<string, Act[]>();
    for (const a of mine.filter((x) => x.binMin !== null)) bins.set(`${a.binMin}|${a.binMax}`, [...(bins.get(`${a.binMin}|${a.binMax}`) ?? []), a]);
    const intervals: IntervalSamples[] = [...bins.values()]
      .map((as) => ({ lo: as[0].binMin!, hi: as[0].binMax!, seen: as.length, contexts: as.map(context) }))
      .sort((a, b) => b.lo - a.lo);
    const maxAct = f.maxAct ?? (mine.length ? mine[0].values[mine[0].maxAt] : 0);
    const known = feats.has(id) || mine.length > 0;
    const label = f.label ?? (top.length ? [...new Set(top.map((a) => a.tokens[a.maxAt].trim() || JSON.stringify(a.tokens[a.maxAt])))].slice(0, 3).join(', ') : known ? '(no examples)' : `feature ${id}`);
    details.push({
      id, label, labelKind: 'neuronpedia', max_act: maxAct, density: f.density ?? NaN, histogram: f.histogram ?? { min: 0, max: 0, counts: [] },
      topics: [], langs: {}, contexts: top.map(context), intervals, promoted: [], suppressed: [], neighbours: [],
    });
  }
  if (!feats.size && !acts.length) throw new ModelFileError(files.map((f) => f.name).join(', ') || '(no files)', 'holds no features or activations. Pick Neuronpedia export batches.');
  return {
    meta: {
      source: 'neuronpedia', model: meta.model, sae: meta.sae, corpus: files.map((f) => f.name).join(', '), corpusHash: '', hookName: meta.hookName,
      ctxLen: Math.max(0, ...acts.map((a) => a.tokens.length)), nTokens: 0, builtAt: new Date().toISOString(),
    },
    summaries: details.map((d) => ({ id: d.id, label: d.label, labelKind: d.labelKind, maxAct: d.max_act, density: d.density })),
    details,
    tokens,
  };
}
