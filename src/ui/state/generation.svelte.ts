// Steering list and side-by-side generation: baseline and steered streams, same seed and
// sampling, streamed token by token; regenerated when a slider is released; stoppable. In chat
// mode (instruct models) the same for each turn of a conversation, each side with its own replies.
import type { SamplingOptions } from '../../model/sampling';
import type { ChatMessage, GenerateRequest, SteeringSpec } from '../../worker/api';
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
  sampling = $state<SamplingOptions>({ temperature: 0.8, topK: 40, topP: 0.95 });
  seed = $state(42);
  maxNewTokens = $state(40);
  baseline = $state('');
  steered = $state('');
  /** The prompt `baseline` and `steered` continue: once the prompt is edited they are stale, and not shown. */
  forPrompt = $state('');
  generating = $state(false);
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

  add(feature: number, multiple = 3, mode: 'clamp' | 'add' = 'clamp'): void {
    if (!this.has(feature)) this.steering.push({ feature, mode, multiple });
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

  // multiples of the max activation (from feature data, else the largest seen this session)
  private steeringSpecs(): SteeringSpec[] {
    return this.steering
      .filter((s) => s.multiple !== 0 || s.mode === 'clamp')
      .map((s) => {
        const max = this.catalog.get(s.feature)?.maxAct ?? 0;
        if (!(max > 0)) throw Object.assign(new Error(`Feature ${s.feature}'s max activation is unknown: analyze a prompt on which it fires first.`), { name: 'EngineStateError' });
        return { feature: s.feature, mode: s.mode, value: s.multiple * max, unit: 'absolute' as const };
      });
  }

  /** Generates from the prompt, or in chat mode (re)generates the replies of the last turn. */
  async run(prompt: string): Promise<void> {
    if (this.es.status !== 'ready') return;
    if (this.generating) {
      this.pending = true;
      void this.es.engine.cancel();
      return;
    }
    const turn = this.chatting ? this.turns.at(-1) : undefined;
    if (this.chatting && !turn) return;
    this.generating = true;
    if (turn) turn.baseline = turn.steered = '';
    else {
      this.baseline = this.steered = '';
      this.forPrompt = prompt;
    }
    this.notice = null;
    try {
      const steering = this.steeringSpecs();
      const req: GenerateRequest = { prompt, maxNewTokens: this.maxNewTokens, sampling: { ...this.sampling }, seed: this.seed, steering };
      if (turn) {
        turn.steeredOn = steering.length > 0;
        req.chat = this.conversation('baseline');
        if (turn.steeredOn) req.steeredChat = this.conversation('steered');
      }
      const res = await this.es.engine.generate(req, (e) => {
        if (e.type === 'token') {
          if (turn && e.stop) return; // the end-of-turn token is not part of the reply
          if (turn) turn[e.stream] += e.text;
          else this[e.stream] += e.text;
        } else if (e.type === 'notice') this.notice = e.message;
      });
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
