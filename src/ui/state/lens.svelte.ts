// The logit lens card's state: computed on demand (the Run button, or opening the card), never
// on every keystroke, as a lens runs (nLayers + 1) x T rows through the unembedding. The
// attention pattern follows the selected token (the last token when none is), for the prompt the
// lens was run on.
import type { AttentionPatternResponse, LogitLensResponse } from '../../worker/api';
import type { EngineState } from './engine.svelte';

export class LensState {
  open = $state(false);
  running = $state(false);
  lens = $state.raw<LogitLensResponse | null>(null);
  /** The prompt text `lens` was computed for: a different prompt shows the card as out of date. */
  lensPrompt = $state('');
  /** The model info `lens` was computed with: another load (a new model, a recovered device) outdates it. */
  private lensModel = $state.raw<unknown>(null);
  pattern = $state.raw<AttentionPatternResponse | null>(null);
  error = $state('');
  /** Which layer's heads the attention view shows. */
  layer = $state(0);
  private patternAsked = '';

  constructor(private readonly es: EngineState) {}

  /** Runs the lens on `prompt`, then the attention pattern at `position` (null: the last token). */
  async run(prompt: string, position: number | null): Promise<void> {
    if (this.running || !prompt) return;
    this.running = true;
    this.error = '';
    try {
      this.lens = await this.es.engine.logitLens({ text: prompt, k: 5 });
      this.lensPrompt = prompt;
      this.lensModel = this.es.info;
      this.layer = Math.min(this.layer, this.lens.hooks.length - 2);
      this.pattern = null;
      this.patternAsked = '';
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.running = false;
    }
    if (this.lens) await this.attend(position);
  }

  /** Whether the shown lens is for another prompt or an earlier model load. */
  isStale(prompt: string): boolean {
    return this.lens !== null && (this.lensPrompt !== prompt || this.lensModel !== this.es.info);
  }

  /** The attention pattern of the lens's prompt at `position` (null: its last token). */
  async attend(position: number | null): Promise<void> {
    const lens = this.lens;
    if (!lens) return;
    const p = position !== null && position < lens.ids.length ? position : lens.ids.length - 1;
    const key = `${this.lensPrompt}\u0000${p}`;
    if (key === this.patternAsked) return;
    this.patternAsked = key;
    try {
      const res = await this.es.engine.attentionPattern({ text: this.lensPrompt, position: p });
      if (key === this.patternAsked) this.pattern = res; // else a newer selection is on its way
    } catch (e) {
      if (key === this.patternAsked) this.error = (e as Error).message;
    }
  }
}
