// Feature data for the UI (see public/models/glassbox-mini/features/SCHEMA.md): the index
// (label, max activation, density of every feature) at start-up, one shard of full details on
// demand, and the token strings.

export interface FeatureSummary {
  id: number;
  label: string;
  maxAct: number;
  density: number;
  /** A label from the feature's examples' n-grams (src/store/ngram_labels.ts), where the data has one. */
  ngram?: string;
}

/** Where a label comes from, as the UI names it. */
export type LabelKind = 'explanation' | 'ngram' | 'bundled' | 'seen' | 'none';
export const LABEL_KINDS: Record<LabelKind, string> = {
  explanation: 'Neuronpedia explanation',
  ngram: 'n-gram label (local)',
  bundled: 'token label (feature data)',
  seen: 'tokens seen this session',
  none: 'no label',
};
export interface LabelInfo {
  text: string;
  kind: LabelKind;
}

export interface FeatureContext {
  tokens: number[];
  acts: number[];
  max_at: number;
  topic: string | null;
}

export interface FeatureDetail {
  id: number;
  label: string;
  max_act: number;
  density: number;
  histogram: { min: number; max: number; counts: number[] };
  topics: Array<[string, number]>;
  langs: Record<string, number>;
  contexts: FeatureContext[];
  promoted: Array<[number, number]>;
  suppressed: Array<[number, number]>;
  neighbours: Array<[number, number]>;
  /** Samples from activation intervals [lo, hi) (SAEDashboard's quantile groups), when built from a corpus. */
  intervals?: Array<{ lo: number; hi: number; seen: number; contexts: FeatureContext[] }>;
}

export interface FeatureIndex {
  baseUrl: string;
  shardSize: number;
  summaries: FeatureSummary[];
  tokens: string[];
}

export class FeatureCatalog {
  summaries = $state.raw<FeatureSummary[]>([]);
  tokens = $state.raw<string[]>([]);
  loaded = $state(false);
  /** Labels imported from a Neuronpedia explanation export, by feature id. */
  imported = $state.raw<Map<number, string>>(new Map());
  /** Without feature data: what this session has seen each feature fire on. */
  private readonly seen = new Map<number, { max: number; tokens: Map<string, number> }>();
  seenVersion = $state(0);
  private baseUrl = '';
  private shardSize = 64;
  private readonly shards = new Map<number, Promise<FeatureDetail[]>>();

  /** Forget everything: a model or SAE without feature data is coming. */
  reset(): void {
    this.summaries = [];
    this.tokens = [];
    this.loaded = false;
    this.imported = new Map();
    this.seen.clear();
    this.shards.clear();
    this.seenVersion++;
  }

  /** Records the tokens each feature fired on, for labels and max activations without feature data. */
  observe(pieces: string[], k: number, topIdx: Uint32Array, topVal: Float32Array): void {
    for (let t = 0; t < pieces.length; t++) {
      for (let j = 0; j < k; j++) {
        const id = topIdx[t * k + j];
        const v = topVal[t * k + j];
        if (!(v > 0)) continue;
        const e = this.seen.get(id) ?? { max: 0, tokens: new Map() };
        e.max = Math.max(e.max, v);
        const tok = pieces[t].trim() || pieces[t];
        e.tokens.set(tok, Math.max(e.tokens.get(tok) ?? 0, v));
        this.seen.set(id, e);
      }
    }
    this.seenVersion++;
  }

  /** Adds labels from a Neuronpedia export (see src/store/labels.ts); returns how many are known. */
  addLabels(labels: Map<number, string>): number {
    this.imported = new Map([...this.imported, ...labels]);
    return this.imported.size;
  }

  /** Fetches a model's feature data (index and tokens) without changing the catalog. */
  static async fetchIndex(baseUrl: string): Promise<FeatureIndex> {
    const base = baseUrl.replace(/\/?$/, '/');
    const [index, tokens] = await Promise.all([
      fetch(`${base}index.json`).then((r) => (r.ok ? r.json() : Promise.reject(new Error(`features/index.json: HTTP ${r.status}`)))),
      fetch(`${base}tokens.json`).then((r) => (r.ok ? r.json() : [])),
    ]);
    const col = (name: string, at: number) => (Array.isArray(index.columns) && index.columns.includes(name) ? index.columns.indexOf(name) : at);
    const [cl, cm, cd, cn] = [col('label', 0), col('max_act', 1), col('density', 2), col('ngram_label', -1)];
    const summaries = (index.features as unknown[][]).map((r, id): FeatureSummary => {
      const ngram = cn >= 0 && typeof r[cn] === 'string' && r[cn] ? (r[cn] as string) : undefined;
      return { id, label: r[cl] as string, maxAct: r[cm] as number, density: r[cd] as number, ...(ngram ? { ngram } : {}) };
    });
    return { baseUrl: base, shardSize: index.shard_size, summaries, tokens };
  }

  /** Shows fetched feature data (after reset()). */
  apply(f: FeatureIndex): void {
    this.baseUrl = f.baseUrl;
    this.shardSize = f.shardSize;
    this.summaries = f.summaries;
    this.tokens = f.tokens;
    this.loaded = true;
  }

  /**
   * Shows dashboards built in this browser or imported from Neuronpedia (src/dashboards/types.ts,
   * after reset()): summaries indexed by feature id, and every detail already in memory, handed
   * to detail() as resolved shards.
   */
  applyBuilt(b: { summaries: FeatureSummary[]; details: FeatureDetail[]; tokens: string[] }): void {
    this.baseUrl = '';
    this.shards.clear();
    for (let first = 0; first < b.details.length; first += this.shardSize) {
      this.shards.set(first / this.shardSize, Promise.resolve(b.details.slice(first, first + this.shardSize)));
    }
    this.summaries = b.summaries;
    this.tokens = b.tokens;
    this.loaded = true;
    // an imported Neuronpedia export's explanations are labelled as such
    const explained = b.summaries.filter((s) => (s as { labelKind?: string }).labelKind === 'neuronpedia' && s.label);
    if (explained.length) this.addLabels(new Map(explained.map((s) => [s.id, s.label])));
  }

  get(id: number): FeatureSummary | undefined {
    void this.seenVersion;
    const s = this.summaries[id];
    if (s) return s;
    const seen = this.seen.get(id);
    return seen ? { id, label: this.label(id), maxAct: seen.max, density: NaN } : undefined;
  }

  /**
   * The best label there is and its kind: an imported Neuronpedia explanation, else the n-gram
   * label of the feature data, else its token label, else the tokens it fired on this session.
   */
  labelInfo(id: number): LabelInfo {
    void this.seenVersion; // a reactive dependency on what the session has seen
    const imported = this.imported.get(id);
    if (imported) return { text: imported, kind: 'explanation' };
    const s = this.summaries[id];
    if (s?.ngram) return { text: s.ngram, kind: 'ngram' };
    if (s?.label) return { text: s.label, kind: 'bundled' };
    const seen = this.seen.get(id);
    if (!seen) return { text: `feature ${id}`, kind: 'none' };
    const top = [...seen.tokens].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([t]) => `“${t}”`);
    return { text: `fires on ${top.join(', ')}`, kind: 'seen' };
  }

  /** Every label a feature has, best first (a search matches any of them). */
  labels(id: number): LabelInfo[] {
    const best = this.labelInfo(id);
    const s = this.summaries[id];
    const more: LabelInfo[] = s ? [{ text: s.ngram ?? '', kind: 'ngram' }, { text: s.label, kind: 'bundled' }] : [];
    return [best, ...more.filter((l) => l.text && l.kind !== best.kind && l.text !== '(dead)')];
  }

  label(id: number): string {
    return this.labelInfo(id).text;
  }

  /** Fraction of tokens the feature fires on; NaN when unknown (no feature data). */
  density(id: number): number {
    return this.summaries[id]?.density ?? NaN;
  }

  /** Max activations for steering in multiples: from feature data, else the session's maxima. */
  maxActs(dSae = this.summaries.length): Float32Array {
    return Float32Array.from({ length: dSae }, (_, i) => this.summaries[i]?.maxAct ?? this.seen.get(i)?.max ?? 0);
  }

  token(id: number): string {
    return this.tokens[id] ?? `#${id}`;
  }

  detail(id: number): Promise<FeatureDetail> {
    if (!this.loaded) return Promise.reject(new Error('this SAE ships no feature data; labels come from a Neuronpedia export or from this session'));
    const shard = Math.floor(id / this.shardSize);
    let p = this.shards.get(shard);
    if (!p) {
      p = fetch(`${this.baseUrl}${String(shard).padStart(3, '0')}.json`)
        .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`feature shard ${shard}: HTTP ${r.status}`))))
        .then((j) => j.features as FeatureDetail[]);
      p.catch(() => this.shards.delete(shard));
      this.shards.set(shard, p);
    }
    return p.then((fs) => fs[id - shard * this.shardSize]);
  }

  /** By id ("123" or "#123"), or by words in any of its labels (explanation, n-grams, topic, language, top tokens). */
  search(query: string, limit = 50): FeatureSummary[] {
    const q = query.trim().toLowerCase();
    if (!q) return [];
    const all: FeatureSummary[] = this.summaries.length
      ? this.summaries
      : [...new Set([...this.imported.keys(), ...this.seen.keys()])].map((id) => this.get(id) ?? { id, label: this.label(id), maxAct: 0, density: NaN });
    const asId = /^#?(\d+)$/.exec(q);
    if (asId) return all.filter((s) => String(s.id).startsWith(asId[1])).slice(0, limit);
    // every query word starts a word of the label ("art" finds "artist", not "start")
    const words = q.split(/\s+/);
    const matches = (label: string) => {
      const have = label.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
      return words.every((w) => have.some((h) => h.startsWith(w)));
    };
    return all
      .filter((s) => s.label !== '(dead)' && this.labels(s.id).some((l) => matches(l.text)))
      .sort((a, b) => b.maxAct - a.maxAct)
      .slice(0, limit);
  }
}
