// The "Why this token" card's state: feature attribution of the next-token logit (or a logit
// difference) at one position, computed on demand (a forward and a backward), never on every
// keystroke. The position follows the selected token (the last token when none is); the target
// is the model's top prediction there unless the user picks another, or a second one to subtract.
import type { AttributionResponse } from '../../worker/api';
import type { EngineState } from './engine.svelte';

export class AttributionState {
  open = $state(false);
  running = $state(false);
  result = $state.raw<AttributionResponse | null>(null);
  /** The prompt text `result` was computed for: a different prompt shows the card as out of date. */
  prompt = $state('');
  private model = $state.raw<unknown>(null);
  error = $state('');
  /** The picked target token (null: the model's top prediction) and the one to subtract. */
  token = $state<number | null>(null);
  minusToken = $state<number | null>(null);

  constructor(private readonly es: EngineState) {}

  /** Attribution for `prompt` at `position` (null: its last token), with the picked target. */
  async run(prompt: string, position: number | null): Promise<void> {
    if (this.running || !prompt) return;
    this.running = true;
    this.error = '';
    try {
      // a new prompt or position starts from the model's own prediction there
      const samePlace = this.result && this.prompt === prompt && this.result.position === (position ?? this.result.ids.length - 1);
      if (!samePlace) this.token = this.minusToken = null;
      const res = await this.es.engine.attribute({ text: prompt, position: position ?? undefined, token: this.token, minusToken: this.minusToken, limit: 200 });
      this.result = res;
      this.prompt = prompt;
      this.model = this.es.info;
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.running = false;
    }
  }

  /** Picks the target (and optionally the token it is compared with), then reruns. */
  async target(token: number | null, minusToken: number | null): Promise<void> {
    const r = this.result;
    if (!r) return;
    this.token = token;
    this.minusToken = minusToken !== null && minusToken !== token ? minusToken : null;
    await this.run(this.prompt, r.position);
  }

  /** Whether the shown result is for another prompt or an earlier model load. */
  isStale(prompt: string): boolean {
    return this.result !== null && (this.prompt !== prompt || this.model !== this.es.info);
  }
}
