// The prompt under the microscope: its tokens, each token's top SAE features, the selected
// token and feature, and the selected feature's activation on every token. Re-analysed on every
// keystroke, with no debounce: at most one analysis is in flight, plus the newest text waiting.
// When the one in flight returns and the prompt has changed since it was sent, its answer is
// dropped (no stale strip is shown) and the newest text goes at once; keystrokes typed meanwhile
// are never sent. The engine reuses the KV cache of the prefix the text shares with the last
// analysis, so a typed character costs about one forward of the new tokens (Engine.analyze).
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
  /** Milliseconds from the keystroke to the token strip showing its text (the last one shown). */
  lastLatencyMs = $state(0);
  /** The analysis in flight (it loops while the prompt changes under it), or null when idle. */
  private inFlight: Promise<void> | null = null;
  /** run() was called while one was in flight: what it returns is stale even for the same text (another model or SAE). */
  private forced = false;
  /** When the newest text was typed (or run() called). */
  private askedAt = 0;

  constructor(
    private readonly es: EngineState,
    private readonly catalog: FeatureCatalog,
  ) {}

  /** The textarea's input event: analyse `text` now, or as soon as the analysis in flight returns. */
  typed(text: string): void {
    this.prompt = text;
    this.askedAt = performance.now();
    void this.request();
  }

  /**
   * Analyses the prompt again, even if its text has not changed (a new model or SAE, a recovered
   * device); resolves once the prompt's newest text is shown, or could not be.
   */
  run(): Promise<void> {
    this.askedAt = performance.now();
    if (this.inFlight) this.forced = true;
    return this.request();
  }

  private request(): Promise<void> {
    this.inFlight ??= this.loop();
    return this.inFlight;
  }

  /** One analysis at a time, again while what it answered has gone stale; the newest text each time. */
  private async loop(): Promise<void> {
    try {
      let text: string;
      do {
        text = this.prompt;
        this.forced = false;
        await this.analyze(text, this.askedAt);
      } while (this.forced || this.prompt !== text);
    } finally {
      this.inFlight = null; // in the same turn as the last check: a later request starts a new loop
    }
  }

  /** Whether an answer for `text` still answers the prompt. */
  private current(text: string): boolean {
    return !this.forced && this.prompt === text;
  }

  private async analyze(text: string, askedAt: number): Promise<void> {
    if (this.es.status !== 'ready') return;
    if (!text) {
      this.result = null;
      return;
    }
    try {
      // without an SAE there are only tokens to show
      const res = this.es.sae
        ? await this.es.engine.analyze({ text })
        : { ...(await this.es.engine.tokenize(text)), k: 0, topIdx: new Uint32Array(0), topVal: new Float32Array(0), error: new Float32Array(0) };
      if (!this.current(text)) return; // dropped: the loop sends the newest text at once
      this.catalog.observe(res.pieces, res.k, res.topIdx, res.topVal);
      this.result = res;
      this.lastLatencyMs = performance.now() - askedAt;
      if (this.selectedToken !== null && this.selectedToken >= res.ids.length) this.selectedToken = null;
      // The selected feature's values, for this strip. After a suffix-only analyze the engine
      // runs the prompt whole for them, and the next keystroke's analysis waits behind that.
      await this.refreshFeature();
    } catch (e) {
      if (this.current(text)) this.es.fail(e);
    }
  }

  async selectFeature(id: number | null): Promise<void> {
    this.selectedFeature = id;
    await this.refreshFeature();
  }

  private async refreshFeature(): Promise<void> {
    const id = this.selectedFeature;
    const result = this.result;
    if (id === null || !result) {
      this.featureValues = null;
      return;
    }
    const { values } = await this.es.engine.featureActivations([id]);
    // the values are the last analysed prompt's: a newer strip waits for its own
    if (this.selectedFeature === id && this.result === result) this.featureValues = values;
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
