// The training-data card's state: the documents of the bundled model's training set whose
// gradients most support and most oppose a completion of the prompt. On demand only (a forward,
// a backward and a scan of the index).
import type { InfluenceResponse } from '../../worker/api';
import type { EngineState } from './engine.svelte';

export class InfluenceState {
  open = $state(false);
  running = $state(false);
  result = $state.raw<InfluenceResponse | null>(null);
  /** The completion to explain; empty: the model's top next token. */
  completion = $state('');
  /** How documents are ordered: by the gradient dot product, or by cosine. */
  rank = $state<'dot' | 'cosine'>('dot');
  /** The prompt and completion `result` was computed for. */
  private asked = $state('');
  private model = $state.raw<unknown>(null);
  error = $state('');

  constructor(private readonly es: EngineState) {}

  async run(prompt: string): Promise<void> {
    if (this.running || !prompt) return;
    this.running = true;
    this.error = '';
    try {
      this.result = await this.es.engine.influence({ text: prompt, completion: this.completion || undefined, n: 6, rank: this.rank });
      this.asked = this.key(prompt);
      this.model = this.es.info;
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.running = false;
    }
  }

  isStale(prompt: string): boolean {
    return this.result !== null && (this.asked !== this.key(prompt) || this.model !== this.es.info);
  }

  private key(prompt: string): string {
    return `${prompt}\u0000${this.completion}\u0000${this.rank}`;
  }
}
