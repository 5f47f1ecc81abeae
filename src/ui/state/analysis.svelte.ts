// The prompt under the microscope: its tokens, each token's top SAE features, the selected
// token and feature, and the selected feature's activation on every token. Re-analysed as the
// user types (debounced); answers to stale keystrokes are dropped.
import type { AnalyzeResponse, FeatureWeights } from '../../worker/api';
import { NO_FEATURE } from '../../kernels/sae_topk';
import type { EngineState } from './engine.svelte';
import type { FeatureCatalog } from './features.svelte';

export interface FeatureHit {
  id: number;
  value: number;
}

export class AnalysisState {
  prompt = $state('');
  result = $state.raw<AnalyzeResponse | null>(null);
  selectedToken = $state<number | null>(null);
  selectedFeature = $state<number | null>(null);
  /** Activation of the selected feature at each token of the prompt. */
  featureValues = $state.raw<Float32Array | null>(null);
  /** Milliseconds from the last keystroke to the updated token strip. */
  lastLatencyMs = $state(0);
  private timer: ReturnType<typeof setTimeout> | undefined;
  private seq = 0;

  constructor(
    private readonly es: EngineState,
    private readonly catalog: FeatureCatalog,
  ) {}

  schedule(delayMs = 120): void {
    clearTimeout(this.timer);
    const typedAt = performance.now();
    this.timer = setTimeout(() => void this.run(typedAt), delayMs);
  }

  async run(typedAt = performance.now()): Promise<void> {
    if (this.es.status !== 'ready') return;
    const mine = ++this.seq;
    const text = this.prompt;
    if (!text) {
      this.result = null;
      return;
    }
    try {
      // without an SAE there are only tokens to show
      const res = this.es.sae
        ? await this.es.engine.analyze({ text })
        : { ...(await this.es.engine.tokenize(text)), k: 0, topIdx: new Uint32Array(0), topVal: new Float32Array(0), error: new Float32Array(0) };
      if (mine !== this.seq) return;
      this.catalog.observe(res.pieces, res.k, res.topIdx, res.topVal);
      this.result = res;
      if (this.selectedToken !== null && this.selectedToken >= res.ids.length) this.selectedToken = null;
      await this.refreshFeature();
      this.lastLatencyMs = performance.now() - typedAt;
    } catch (e) {
      if (mine === this.seq) this.es.fail(e);
    }
  }

  async selectFeature(id: number | null): Promise<void> {
    this.selectedFeature = id;
    await this.refreshFeature();
  }

  private async refreshFeature(): Promise<void> {
    const id = this.selectedFeature;
    if (id === null || !this.result) {
      this.featureValues = null;
      return;
    }
    const { values } = await this.es.engine.featureActivations([id]);
    if (this.selectedFeature === id) this.featureValues = values;
  }

  /** Features of the loaded SAE (0 without one). */
  get dSae(): number {
    return this.es.sae?.config.dSae ?? 0;
  }

  /** Feature weights by id, for the model and SAE they were computed on (new info objects come with every load and recovery). */
  private weights = new Map<number, Promise<FeatureWeights>>();
  private weightsOf: [unknown, unknown] = [null, null];

  /**
   * A feature's top/bottom logits and decoder-cosine neighbours, from the SAE's weights (any SAE,
   * with or without feature data). Computed once per feature and SAE; reading es.info and es.sae
   * makes an $effect that calls this run again when another SAE loads or the device is recovered.
   */
  featureWeights(id: number): Promise<FeatureWeights> {
    const { info, sae } = this.es;
    if (info !== this.weightsOf[0] || sae !== this.weightsOf[1]) {
      this.weights.clear();
      this.weightsOf = [info, sae];
    }
    let p = this.weights.get(id);
    if (!p) {
      const mine = (p = this.es.engine.featureWeights(id));
      mine.catch(() => this.weights.get(id) === mine && this.weights.delete(id));
      this.weights.set(id, mine);
    }
    return p;
  }

  /** Top features of token t, strongest first. */
  tokenFeatures(t: number): FeatureHit[] {
    const r = this.result;
    if (!r) return [];
    const out: FeatureHit[] = [];
    for (let j = 0; j < r.k; j++) {
      const id = r.topIdx[t * r.k + j];
      if (id !== NO_FEATURE) out.push({ id, value: r.topVal[t * r.k + j] });
    }
    return out;
  }

  /** Features of the whole prompt: each one's strongest activation over the tokens. */
  promptFeatures(): FeatureHit[] {
    const r = this.result;
    if (!r) return [];
    const best = new Map<number, number>();
    for (let t = 0; t < r.ids.length; t++) {
      for (const h of this.tokenFeatures(t)) best.set(h.id, Math.max(best.get(h.id) ?? 0, h.value));
    }
    return [...best].map(([id, value]) => ({ id, value })).sort((a, b) => b.value - a.value);
  }
}
