// UI state for the engine: load status and progress, the prompt's tokens, and one streamed
// generation. Engine results are kept in $state.raw (typed arrays are never proxied).
import type { EngineClient } from '../../worker/client';
import type { LoadProgress, ModelInfo, Tokens } from '../../worker/api';
import type { SamplingOptions } from '../../model/sampling';

export type Status = 'loading' | 'ready' | 'error';

export class EngineState {
  status = $state<Status>('loading');
  progress = $state.raw<LoadProgress | null>(null);
  info = $state.raw<ModelInfo | null>(null);
  error = $state.raw<{ name: string; message: string } | null>(null);
  tokens = $state.raw<Tokens | null>(null);
  notice = $state<string | null>(null);

  prompt = $state('The ship sailed across the ocean');
  sampling = $state<SamplingOptions>({ temperature: 0.8, topK: 40, topP: 0.95 });
  seed = $state(42);
  maxNewTokens = $state(40);

  output = $state('');
  generating = $state(false);
  msPerToken = $state(0);

  constructor(private readonly engine: EngineClient) {}

  async load(baseUrl: string): Promise<void> {
    this.status = 'loading';
    this.error = null;
    try {
      this.info = await this.engine.load({ kind: 'url', baseUrl }, (p) => (this.progress = p));
      this.status = 'ready';
      await this.tokenize();
    } catch (e) {
      this.fail(e);
      this.status = 'error';
    }
  }

  /** Shows the error; a lost or exhausted device also takes the model out of service. */
  private fail(e: unknown): void {
    const err = e as Error;
    this.error = { name: err?.name ?? 'Error', message: err?.message ?? String(e) };
    if (['GpuDeviceLost', 'GpuOutOfMemory'].includes(this.error.name)) this.status = 'error';
  }

  async tokenize(): Promise<void> {
    if (this.status !== 'ready') return;
    const text = this.prompt;
    try {
      const t = await this.engine.tokenize(text);
      if (text === this.prompt) this.tokens = t; // drop answers to stale keystrokes
    } catch (e) {
      this.fail(e);
    }
  }

  async generate(): Promise<void> {
    if (this.status !== 'ready' || this.generating) return;
    this.generating = true;
    this.output = '';
    this.notice = null;
    try {
      const res = await this.engine.generate(
        { prompt: this.prompt, maxNewTokens: this.maxNewTokens, sampling: { ...this.sampling }, seed: this.seed },
        (e) => {
          if (e.type === 'token') this.output += e.text;
          else if (e.type === 'notice') this.notice = e.message;
        },
      );
      this.msPerToken = res.baseline.msPerToken;
    } catch (e) {
      this.fail(e);
    } finally {
      this.generating = false;
    }
  }

  stop(): void {
    void this.engine.cancel();
  }
}
