// Next-token sampling on the CPU from the last position's logits (V floats, the only thing read
// back per decode step). temperature 0 is greedy; top-k and top-p (nucleus) narrow the
// candidates; a seeded Rng makes the same seed give the same tokens.
import { EngineStateError, NonFiniteError } from '../errors';
import type { Rng } from './rng';

export interface SamplingOptions {
  /** 0 = greedy (argmax). */
  temperature: number;
  /** Keep the k most likely tokens; 0 = no limit. */
  topK: number;
  /** Keep the smallest set whose probability reaches p; 1 = no limit. */
  topP: number;
}

export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

export function checkSampling(s: SamplingOptions): void {
  if (!(s.temperature >= 0 && Number.isFinite(s.temperature))) throw new EngineStateError(`temperature must be >= 0, got ${s.temperature}`);
  if (!(Number.isInteger(s.topK) && s.topK >= 0)) throw new EngineStateError(`topK must be an integer >= 0, got ${s.topK}`);
  if (!(s.topP > 0 && s.topP <= 1)) throw new EngineStateError(`topP must be in (0, 1], got ${s.topP}`);
}

export function sample(logits: ArrayLike<number>, s: SamplingOptions, rng: Rng): number {
  // a NaN or +Inf leaves no distribution to draw from (top-p would keep no candidate at all)
  for (let i = 0; i < logits.length; i++) {
    if (logits[i] !== logits[i] || logits[i] === Infinity) {
      throw new NonFiniteError(`The logits hold ${logits[i]} (token ${i}), so no token can be sampled. Lower the steering strength or reload the model.`);
    }
  }
  if (s.temperature === 0) return argmax(logits);
  const V = logits.length;
  // Candidates sorted by logit, best first (ties by id, so the order is deterministic).
  let ids = Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
  if (s.topK > 0 && s.topK < V) ids = ids.slice(0, s.topK);
  const m = logits[ids[0]];
  const p = ids.map((i) => Math.exp((logits[i] - m) / s.temperature));
  const z = p.reduce((a, b) => a + b, 0);
  let n = ids.length;
  if (s.topP < 1) {
    let cum = 0;
    for (n = 0; n < ids.length && cum < s.topP * z; n++) cum += p[n];
  }
  const zKept = p.slice(0, n).reduce((a, b) => a + b, 0);
  let u = rng.next() * zKept;
  for (let i = 0; i < n; i++) {
    u -= p[i];
    if (u < 0) return ids[i];
  }
  return ids[n - 1];
}
