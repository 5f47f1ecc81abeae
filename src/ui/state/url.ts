// Shareable state in the URL: prompt, model, SAE, steering list, sampling and seed, and the Hub
// endpoint when one was given (?hub=, see src/store/hub.ts). Opening the URL restores them. Compact, human-readable query parameters.
import type { SamplingOptions } from '../../model/sampling';

export interface SteerItem {
  feature: number;
  mode: 'clamp' | 'add';
  /** In multiples of the feature's max activation. */
  multiple: number;
}

export interface UrlState {
  prompt: string;
  model: string;
  sae: string;
  steering: SteerItem[];
  sampling: SamplingOptions;
  seed: number;
  maxNewTokens: number;
  /** A Hub mirror given in the URL; kept so that reloads and shared links use it too. */
  hub?: string;
  /** Chat mode's system prompt ('' for none). */
  system?: string;
}

export const DEFAULTS: UrlState = {
  prompt: 'The ship sailed across the ocean and',
  model: 'glassbox-mini',
  sae: 'blocks.2.hook_resid_pre',
  steering: [],
  sampling: { temperature: 0.8, topK: 40, topP: 0.95 },
  seed: 42,
  maxNewTokens: 40,
  system: '',
};

const num = (v: string | null, fallback: number, ok: (n: number) => boolean) => {
  const n = v === null ? NaN : Number(v);
  return Number.isFinite(n) && ok(n) ? n : fallback;
};

/** The largest steering multiple a URL carries (the slider goes to 20). */
const MAX_MULTIPLE = 1e6;

/** steering: "12c10,40a-3.5" = feature 12 clamped at 10x, feature 40 added at -3.5x. */
export function parseSteering(s: string | null): SteerItem[] {
  if (!s) return [];
  return s.split(',').flatMap((part) => {
    const m = /^(\d+)([ca])(-?\d+(?:\.\d+)?)$/.exec(part.trim());
    if (!m) return [];
    const [feature, multiple] = [Number(m[1]), Number(m[3])];
    // what formatSteering would write in exponent form (a feature past 2^53, a multiple past 1e21) could not be read back
    if (!Number.isSafeInteger(feature) || !(Math.abs(multiple) <= MAX_MULTIPLE)) return [];
    return [{ feature, mode: m[2] === 'c' ? ('clamp' as const) : ('add' as const), multiple }];
  });
}

export function formatSteering(items: SteerItem[]): string {
  return items.map((i) => `${i.feature}${i.mode === 'clamp' ? 'c' : 'a'}${+i.multiple.toFixed(2)}`).join(',');
}

export function readUrl(search: string): UrlState {
  const q = new URLSearchParams(search);
  const d = DEFAULTS;
  return {
    prompt: q.get('prompt') ?? d.prompt,
    model: q.get('model') ?? d.model,
    sae: q.get('sae') ?? d.sae,
    steering: parseSteering(q.get('steer')),
    sampling: {
      temperature: num(q.get('temp'), d.sampling.temperature, (n) => n >= 0 && n <= 5),
      topK: num(q.get('topk'), d.sampling.topK, (n) => Number.isSafeInteger(n) && n >= 0),
      topP: num(q.get('topp'), d.sampling.topP, (n) => n > 0 && n <= 1),
    },
    seed: num(q.get('seed'), d.seed, (n) => Number.isSafeInteger(n) && n >= 0),
    maxNewTokens: num(q.get('n'), d.maxNewTokens, (n) => Number.isInteger(n) && n >= 1 && n <= 512),
    hub: q.get('hub') || undefined,
    system: q.get('sys') ?? d.system,
  };
}

export function writeUrl(s: UrlState): string {
  const q = new URLSearchParams();
  q.set('prompt', s.prompt);
  if (s.model !== DEFAULTS.model) q.set('model', s.model);
  if (s.sae !== DEFAULTS.sae) q.set('sae', s.sae);
  if (s.steering.length) q.set('steer', formatSteering(s.steering));
  q.set('temp', String(s.sampling.temperature));
  q.set('topk', String(s.sampling.topK));
  q.set('topp', String(s.sampling.topP));
  q.set('seed', String(s.seed));
  q.set('n', String(s.maxNewTokens));
  if (s.hub) q.set('hub', s.hub);
  if (s.system) q.set('sys', s.system);
  return `?${q}`;
}
