// Steering list and side-by-side generation: baseline and steered streams, same seed and
// sampling, streamed token by token; regenerated when a slider is released; stoppable. The
// baseline is kept while the prompt, seed, sampling, length and model are unchanged, so a new
// strength runs the steered stream alone. After a steered run, each generated token is inspected
// (probability, alternatives, KL between the streams, features). A dose-response sweep runs one
// feature's strength over a range. In chat mode (instruct models) the same for each turn of a
// conversation, each side with its own replies.
import type { SamplingOptions } from '../../model/sampling';
import type { ChatMessage, GenerateRequest, GenerationReport, ModelInfo, SteeringSpec, SteerPositions, SweepPoint } from '../../worker/api';
import type { EngineState } from './engine.svelte';
import type { FeatureCatalog } from './features.svelte';
import type { SteerItem } from './url';

export interface ChatTurn {
  user: string;
  baseline: string;
  steered: string;
  /** The steered reply was generated (steering was on): the steered side's history uses it. */
  steeredOn: boolean;
}

export class GenerationState {
  steering = $state<SteerItem[]>([]);
  /** Where steering applies, and whether a leading BOS is left alone. */
  steerAt = $state<{ positions: SteerPositions; skipBos: boolean }>({ positions: 'all', skipBos: false });
  sampling = $state<SamplingOptions>({ temperature: 0.8, topK: 40, topP: 0.95 });
  seed = $state(42);
  maxNewTokens = $state(40);
  baseline = $state('');
  steered = $state('');
  /** The prompt `baseline` and `steered` continue: once the prompt is edited they are stale, and not shown. */
  forPrompt = $state('');
  generating = $state(false);
  /** The prompt's ids and each stream's generated ids, for inspection. */
  promptIds = $state.raw<number[]>([]);
  baselineIds = $state.raw<number[]>([]);
  steeredIds = $state.raw<number[]>([]);
  /** Per generated token of both streams, after a finished steered run (null while none). */
  report = $state.raw<GenerationReport | null>(null);
  inspecting = $state(false);
  /** The dose-response sweep: its feature (index in `steering`), strengths, and points as they come. */
  sweepTarget = $state(0);
  sweepPoints = $state.raw<SweepPoint[]>([]);
  sweepStrengths = $state.raw<number[]>([]);
  sweeping = $state(false);
  /** The settings the kept baseline was generated with, and the model it came from. */
  private baselineFor: { key: string; info: ModelInfo | null } | null = null;
  notice = $state<string | null>(null);
  msPerToken = $state(0);
  /** Chat mode (instruct models): a conversation, each turn with a baseline and a steered reply. */
  chatMode = $state(false);
  turns = $state<ChatTurn[]>([]);
  /** The system prompt the conversation starts with ('' for none); the template decides where it goes. */
  system = $state('');
  /** A run asked for while another is streaming starts when that one stops. */
  private pending = false;

  constructor(
    private readonly es: EngineState,
    private readonly catalog: FeatureCatalog,
  ) {}

  has(feature: number): boolean {
    return this.steering.some((s) => s.feature === feature);
  }

  add(feature: number, strength = 1, mode: SteerItem['mode'] = 'clamp'): void {
    if (!this.has(feature)) this.steering.push({ feature, mode, strength, unit: 'max_act' });
  }

  /** Why steering entries were dropped (ids the loaded SAE does not have), shown in the steering panel. */
  steeringNotice = $state<string | null>(null);

  /** Drops steering entries for features the SAE lacks (a link made with another SAE); the rest still run. */
  dropMissing(dSae: number): void {
    const bad = this.steering.filter((s) => s.feature >= dSae);
    this.steeringNotice = bad.length ? `Dropped ${bad.map((s) => `#${s.feature}`).join(', ')} from steering: this SAE has features 0..${dSae - 1}.` : null;
    if (bad.length) this.steering = this.steering.filter((s) => s.feature < dSae);
  }

  remove(feature: number): void {
    this.steering = this.steering.filter((s) => s.feature !== feature);
  }

  /** The model has a chat template (an instruct model): chat mode can be switched on. */
  get chatAvailable(): boolean {
    return this.es.info?.chat === true;
  }

  get chatting(): boolean {
    return this.chatMode && this.chatAvailable;
  }

  /** Sends the user's next message in chat mode; both replies stream into its turn. */
  async send(message: string): Promise<void> {
    if (!message.trim() || this.generating || !this.chatting) return;
    this.turns.push({ user: message, baseline: '', steered: '', steeredOn: false });
    await this.run('');
  }

  newConversation(): void {
    this.stop();
    this.turns = [];
  }

  /** The conversation for one side: earlier turns with that side's replies, ending with the last user turn. */
  private conversation(side: 'baseline' | 'steered'): ChatMessage[] {
    const system: ChatMessage[] = this.system.trim() ? [{ role: 'system', content: this.system.trim() }] : [];
    return system.concat(
      this.turns.flatMap((t, i): ChatMessage[] => {
        const user: ChatMessage = { role: 'user', content: t.user };
        if (i === this.turns.length - 1) return [user];
        return [user, { role: 'assistant', content: side === 'steered' && t.steeredOn ? t.steered : t.baseline }];
      }),
    );
  }

  /**
   * The request's steering: multiples of the max activation take feature data's, else the largest
   * seen this session. Edits that change nothing (add 0, orthogonal factor 1) are left out.
   */
  private steeringSpecs(): SteeringSpec[] {
    return this.steering
      .filter((s) => !((s.mode === 'add' && s.strength === 0) || (s.mode === 'orthogonal' && s.strength === 1)))
      .map((s) => this.specFor(s));
  }

  /** What the baseline depends on: the same key and model give the same baseline. */
  private baselineKey(prompt: string): string {
    return JSON.stringify([prompt, this.seed, this.sampling, this.maxNewTokens]);
  }

  /** Generates from the prompt, or in chat mode (re)generates the replies of the last turn. */
  async run(prompt: string): Promise<void> {
    if (this.es.status !== 'ready') return;
    if (this.generating || this.sweeping) {
      // a change of settings outdates the run in progress: stop it and run again after. A sweep
      // (asked for explicitly, and long) runs to its end, or to its Stop button, first.
      this.pending = true;
      this.pendingPrompt = prompt;
      if (this.generating) void this.es.engine.cancel();
      return;
    }
    const done = this.generate(prompt);
    this.current = done;
    await done;
  }

  /** The prompt a run asked for while another was streaming. */
  private pendingPrompt = '';
  /** The run in progress, for a sweep to wait on. */
  private current: Promise<void> | null = null;

  private async generate(prompt: string): Promise<void> {
    const turn = this.chatting ? this.turns.at(-1) : undefined;
    if (this.chatting && !turn) return;
    this.generating = true;
    this.notice = null;
    this.report = null;
    this.inspecting = false;
    const run = ++this.runs;
    let steering: SteeringSpec[] = [];
    let finished = false;
    try {
      steering = this.steeringSpecs();
      const key = this.baselineKey(prompt);
      // an unchanged prompt, seed, sampling, length and model: the kept baseline stands
      const keep = !turn && steering.length > 0 && this.baselineFor?.key === key && this.baselineFor.info === this.es.info && this.forPrompt === prompt;
      if (turn) turn.baseline = turn.steered = '';
      else {
        this.steered = '';
        this.steeredIds = [];
        if (!keep) {
          this.baseline = '';
          this.baselineIds = [];
          this.baselineFor = null;
        }
        this.forPrompt = prompt;
      }
      const req: GenerateRequest = {
        prompt, maxNewTokens: this.maxNewTokens, sampling: { ...this.sampling }, seed: this.seed, steering,
        steerAt: { ...this.steerAt }, baseline: !keep,
      };
      if (turn) {
        turn.steeredOn = steering.length > 0;
        req.chat = this.conversation('baseline');
        if (turn.steeredOn) req.steeredChat = this.conversation('steered');
      }
      const ids: Record<'baseline' | 'steered', number[]> = { baseline: [], steered: [] };
      const res = await this.es.engine.generate(req, (e) => {
        if (e.type === 'prompt') {
          if (!turn) this.promptIds = e.tokens.ids;
        } else if (e.type === 'token') {
          if (turn && e.stop) return; // the end-of-turn token is not part of the reply
          ids[e.stream].push(e.id);
          if (turn) turn[e.stream] += e.text;
          else this[e.stream] += e.text;
        } else if (e.type === 'notice') this.notice = e.message;
      });
      this.msPerToken = (res.baseline ?? res.steered)?.msPerToken ?? 0;
      if (!turn) {
        if (res.baseline) {
          this.baselineIds = ids.baseline;
          if (res.baseline.reason !== 'cancelled') this.baselineFor = { key, info: this.es.info };
        }
        this.steeredIds = ids.steered;
        finished = res.steered !== null && res.steered.reason !== 'cancelled' && (res.baseline?.reason ?? 'max_tokens') !== 'cancelled';
      }
    } catch (e) {
      this.es.fail(e);
    } finally {
      this.generating = false;
    }
    if (this.pending) {
      this.pending = false;
      await this.generate(this.pendingPrompt);
      return;
    }
    if (finished) await this.inspect(steering, run);
  }

  /** Runs started so far: an inspection whose run has been followed by another is dropped. */
  private runs = 0;

  /** Inspects the finished generation's tokens (both streams), with the steering it ran with. */
  private async inspect(steering: SteeringSpec[], run: number): Promise<void> {
    if (!this.es.sae || !this.steeredIds.length) return;
    this.inspecting = true;
    try {
      const report = await this.es.engine.inspectGeneration({
        prompt: this.promptIds, baseline: this.baselineIds, steered: this.steeredIds, steering, steerAt: { ...this.steerAt },
      });
      if (run === this.runs) this.report = report; // else a newer run's tokens are on screen
    } catch (e) {
      if (run === this.runs) this.notice = `Could not inspect the tokens: ${(e as Error).message}`;
    } finally {
      if (run === this.runs) this.inspecting = false;
    }
  }

  /** Generates the steered stream at each strength of one steered feature; points arrive one by one. */
  async sweep(prompt: string, target: number, strengths: number[]): Promise<void> {
    if (this.es.status !== 'ready' || this.sweeping) return;
    if (this.generating) {
      // the sweep supersedes the generation in progress
      this.pending = false;
      void this.es.engine.cancel();
      await this.current;
    }
    this.sweeping = true;
    this.sweepTarget = target;
    this.sweepStrengths = strengths;
    this.sweepPoints = [];
    this.notice = null;
    try {
      const steering = this.steeringSpecs();
      const item = this.steering[target];
      const index = steering.findIndex((s) => s.feature === item.feature);
      // the feature may have been left out as a no-op (add 0): sweep it in its own right
      const specs = index >= 0 ? steering : [...steering, this.specFor(item)];
      const res = await this.es.engine.sweep(
        { prompt, maxNewTokens: this.maxNewTokens, sampling: { ...this.sampling }, seed: this.seed, steering: specs, steerAt: { ...this.steerAt }, target: index >= 0 ? index : specs.length - 1, strengths },
        (p) => (this.sweepPoints = [...this.sweepPoints, p]),
      );
      this.sweepBaseline = res.baseline.text;
    } catch (e) {
      this.es.fail(e);
    } finally {
      this.sweeping = false;
    }
    if (this.pending) {
      this.pending = false;
      await this.run(this.pendingPrompt);
    }
  }

  /** The sweep's baseline continuation (for word-share measures). */
  sweepBaseline = $state('');

  private specFor(s: SteerItem): SteeringSpec {
    if (s.unit === 'absolute' || s.mode === 'orthogonal') return { feature: s.feature, mode: s.mode, value: s.strength, unit: s.unit };
    const maxAct = this.catalog.get(s.feature)?.maxAct ?? 0;
    if (!(maxAct > 0)) {
      throw Object.assign(new Error(`Feature ${s.feature}'s max activation is unknown: analyze a prompt on which it fires first, or give its strength in absolute units.`), { name: 'EngineStateError' });
    }
    return { feature: s.feature, mode: s.mode, value: s.strength, unit: 'max_act', maxAct };
  }


  stop(): void {
    this.pending = false;
    void this.es.engine.cancel();
  }
}
