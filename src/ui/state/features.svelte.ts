// Feature data for the UI (see public/models/glassbox-mini/features/SCHEMA.md): the index
// (label, max activation, density of every feature) at start-up, one shard of full details on
// demand, and the token strings.

export interface FeatureSummary {
  id: number;
  label: string;
  maxAct: number;
  density: number;
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
}

export class FeatureCatalog {
  summaries = $state.raw<FeatureSummary[]>([]);
  tokens = $state.raw<string[]>([]);
  loaded = $state(false);
  private baseUrl = '';
  private shardSize = 64;
  private readonly shards = new Map<number, Promise<FeatureDetail[]>>();

  async load(baseUrl: string): Promise<void> {
    this.baseUrl = baseUrl.replace(/\/?$/, '/');
    const [index, tokens] = await Promise.all([
      fetch(`${this.baseUrl}index.json`).then((r) => (r.ok ? r.json() : Promise.reject(new Error(`features/index.json: HTTP ${r.status}`)))),
      fetch(`${this.baseUrl}tokens.json`).then((r) => (r.ok ? r.json() : [])),
    ]);
    this.shardSize = index.shard_size;
    this.summaries = (index.features as Array<[string, number, number]>).map(([label, maxAct, density], id) => ({ id, label, maxAct, density }));
    this.tokens = tokens;
    this.loaded = true;
  }

  get(id: number): FeatureSummary | undefined {
    return this.summaries[id];
  }

  label(id: number): string {
    return this.summaries[id]?.label ?? `feature ${id}`;
  }

  maxActs(): Float32Array {
    return Float32Array.from(this.summaries, (s) => s.maxAct);
  }

  token(id: number): string {
    return this.tokens[id] ?? `#${id}`;
  }

  detail(id: number): Promise<FeatureDetail> {
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

  /** By id ("123" or "#123"), or by words in the label (topic and top tokens). */
  search(query: string, limit = 50): FeatureSummary[] {
    const q = query.trim().toLowerCase();
    if (!q) return [];
    const asId = /^#?(\d+)$/.exec(q);
    if (asId) return this.summaries.filter((s) => String(s.id).startsWith(asId[1])).slice(0, limit);
    const words = q.split(/\s+/);
    return this.summaries
      .filter((s) => s.label !== '(dead)' && words.every((w) => s.label.toLowerCase().includes(w)))
      .sort((a, b) => b.maxAct - a.maxAct)
      .slice(0, limit);
  }
}
