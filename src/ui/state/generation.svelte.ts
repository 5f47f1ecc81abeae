// Steering list and side-by-side generation: baseline and steered streams, same seed and
// sampling, streamed token by token; regenerated when a slider is released; stoppable.
import type { SamplingOptions } from '../../model/sampling';
import type { EngineState } from './engine.svelte';
import type { FeatureCatalog } from './features.svelte';
import type { SteerItem } from './url';

export class GenerationState {
  steering = $state<SteerItem[]>([]);
  sampling = $state<SamplingOptions>({ temperature: 0.8, topK: 40, topP: 0.95 });
  seed = $state(42);
  maxNewTokens = $state(40);
  baseline = $state('');
  steered = $state('');
  generating = $state(false);
  notice = $state<string | null>(null);
  msPerToken = $state(0);
  /** A run asked for while another is streaming starts when that one stops. */
  private pending = false;

  constructor(
    private readonly es: EngineState,
    private readonly catalog: FeatureCatalog,
  ) {}

  has(feature: number): boolean {
    return this.steering.some((s) => s.feature === feature);
  }

  add(feature: number, multiple = 3, mode: 'clamp' | 'add' = 'clamp'): void {
    if (!this.has(feature)) this.steering.push({ feature, mode, multiple });
  }

  remove(feature: number): void {
    this.steering = this.steering.filter((s) => s.feature !== feature);
  }

  async run(prompt: string): Promise<void> {
    if (this.es.status !== 'ready') return;
    if (this.generating) {
      this.pending = true;
      void this.es.engine.cancel();
      return;
    }
    this.generating = true;
    this.baseline = '';
    this.steered = '';
    this.notice = null;
    try {
      // multiples of the max activation (from feature data, else the largest seen this session)
      const steering = this.steering
        .filter((s) => s.multiple !== 0 || s.mode === 'clamp')
        .map((s) => {
          const max = this.catalog.get(s.feature)?.maxAct ?? 0;
          if (!(max > 0)) throw Object.assign(new Error(`Feature ${s.feature}'s max activation is unknown: analyze a prompt on which it fires first.`), { name: 'EngineStateError' });
          return { feature: s.feature, mode: s.mode, value: s.multiple * max, unit: 'absolute' as const };
        });
      const res = await this.es.engine.generate(
        { prompt, maxNewTokens: this.maxNewTokens, sampling: { ...this.sampling }, seed: this.seed, steering },
        (e) => {
          if (e.type === 'token') {
            if (e.stream === 'baseline') this.baseline += e.text;
            else this.steered += e.text;
          } else if (e.type === 'notice') this.notice = e.message;
        },
      );
      this.msPerToken = res.baseline.msPerToken;
    } catch (e) {
      this.es.fail(e);
    } finally {
      this.generating = false;
    }
    if (this.pending) {
      this.pending = false;
      await this.run(prompt);
    }
  }

  stop(): void {
    this.pending = false;
    void this.es.engine.cancel();
  }
}
