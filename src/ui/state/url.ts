// Shareable state in the URL: prompt, model, SAE, steering list, sampling and seed, and the Hub
// endpoint when one was given (?hub=, see src/store/hub.ts). Opening the URL restores them. Compact, human-readable query parameters.
import type { SamplingOptions } from '../../model/sampling';
import type { SteeringMode, SteerPositions } from '../../sae/steering';

export interface SteerItem {
  feature: number;
  mode: SteeringMode;
  /** In multiples of the feature's max activation ('max_act'), or absolute units; orthogonal: the factor on P x. */
  strength: number;
  unit: 'max_act' | 'absolute';
}

export interface UrlState {
  prompt: string;
  model: string;
  sae: string;
  steering: SteerItem[];
  /** Where steering applies (spos=prompt|generated, absent: everywhere) and whether a leading BOS is skipped (nobos=1). */
  steerAt: { positions: SteerPositions; skipBos: boolean };
  sampling: SamplingOptions;
  seed: number;
  maxNewTokens: number;
  /** A Hub mirror given in the URL; kept so that reloads and shared links use it too. */
  hub?: string;
  /** Chat mode's system prompt ('' for none). */
  system?: string;
  /** The selected token (tok=5), absent for the whole prompt. */
  token?: number;
  /** The feature whose dashboard is open (feature=123), absent for the feature list. */
  feature?: number;
}

export const DEFAULTS: UrlState = {
  prompt: 'The ship sailed across the ocean and',
  model: 'glassbox-mini',
  sae: 'blocks.2.hook_resid_pre',
  steering: [],
  steerAt: { positions: 'all', skipBos: false },
  sampling: { temperature: 0.8, topK: 40, topP: 0.95 },
  seed: 42,
  maxNewTokens: 40,
  system: '',
};

const num = (v: string | null, fallback: number, ok: (n: number) => boolean) => {
  const n = v === null ? NaN : Number(v);
  return Number.isFinite(n) && ok(n) ? n : fallback;
};

/** The largest steering strength a URL carries (the slider reaches 300). */
const MAX_STRENGTH = 1e6;
const MODE_LETTER: Record<SteeringMode, string> = { clamp: 'c', add: 'a', orthogonal: 'o', cap: 'p' };
const LETTER_MODE: Record<string, SteeringMode> = { c: 'clamp', a: 'add', o: 'orthogonal', p: 'cap' };

/**
 * steering: "12c10,40a-3.5,7p120u" = feature 12 clamped at 10x its max activation, feature 40
 * added at -3.5x, feature 7 capped at 120 absolute units (u). Modes: c clamp, a add, o orthogonal, p cap.
 */
export function parseSteering(s: string | null): SteerItem[] {
  if (!s) return [];
  return s.split(',').flatMap((part) => {
    const m = /^(\d+)([caop])(-?\d+(?:\.\d+)?)(u?)$/.exec(part.trim());
    if (!m) return [];
    const [feature, strength] = [Number(m[1]), Number(m[3])];
    // what formatSteering would write in exponent form (a feature past 2^53, a strength past 1e21) could not be read back
    if (!Number.isSafeInteger(feature) || !(Math.abs(strength) <= MAX_STRENGTH)) return [];
    return [{ feature, mode: LETTER_MODE[m[2]], strength, unit: m[4] ? ('absolute' as const) : ('max_act' as const) }];
  });
}

export function formatSteering(items: SteerItem[]): string {
  return items.map((i) => `${i.feature}${MODE_LETTER[i.mode]}${+i.strength.toFixed(4)}${i.unit === 'absolute' ? 'u' : ''}`).join(',');
}

/** {key: n} for a non-negative integer, {} for anything else (then the field stays absent). */
const index = (key: 'token' | 'feature', v: string | null) => (v !== null && /^\d{1,9}$/.test(v) ? { [key]: Number(v) } : {});

export function readUrl(search: string): UrlState {
  const q = new URLSearchParams(search);
  const d = DEFAULTS;
  return {
    prompt: q.get('prompt') ?? d.prompt,
    model: q.get('model') ?? d.model,
    sae: q.get('sae') ?? d.sae,
    steering: parseSteering(q.get('steer')),
    steerAt: {
      positions: q.get('spos') === 'prompt' ? 'prompt' : q.get('spos') === 'generated' ? 'generated' : 'all',
      skipBos: q.get('nobos') === '1',
    },
    sampling: {
      temperature: num(q.get('temp'), d.sampling.temperature, (n) => n >= 0 && n <= 5),
      topK: num(q.get('topk'), d.sampling.topK, (n) => Number.isSafeInteger(n) && n >= 0),
      topP: num(q.get('topp'), d.sampling.topP, (n) => n > 0 && n <= 1),
    },
    seed: num(q.get('seed'), d.seed, (n) => Number.isSafeInteger(n) && n >= 0),
    maxNewTokens: num(q.get('n'), d.maxNewTokens, (n) => Number.isInteger(n) && n >= 1 && n <= 512),
    hub: q.get('hub') || undefined,
    system: q.get('sys') ?? d.system,
    ...index('token', q.get('tok')),
    ...index('feature', q.get('feature')),
  };
}

export function writeUrl(s: UrlState): string {
  const q = new URLSearchParams();
  q.set('prompt', s.prompt);
  if (s.model !== DEFAULTS.model) q.set('model', s.model);
  if (s.sae !== DEFAULTS.sae) q.set('sae', s.sae);
  if (s.steering.length) q.set('steer', formatSteering(s.steering));
  if (s.steerAt.positions !== 'all') q.set('spos', s.steerAt.positions);
  if (s.steerAt.skipBos) q.set('nobos', '1');
  q.set('temp', String(s.sampling.temperature));
  q.set('topk', String(s.sampling.topK));
  q.set('topp', String(s.sampling.topP));
  q.set('seed', String(s.seed));
  q.set('n', String(s.maxNewTokens));
  if (s.hub) q.set('hub', s.hub);
  if (s.system) q.set('sys', s.system);
  if (s.token !== undefined) q.set('tok', String(s.token));
  if (s.feature !== undefined) q.set('feature', String(s.feature));
  return `?${q}`;
}
