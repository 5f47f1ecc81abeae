// What steering did to a generation, token by token: each stream's generated text is run again,
// teacher-forced, once as its own stream (steered or not) and once as the other, from position 0.
// Per generated token: its probability under its own stream (softmax of the raw logits, as a
// model's probability, whatever the sampling settings), the top alternatives there, the same
// token's probability under the other stream, and KL(own || other) in nats at the position that
// chose it; and the SAE's top features at the token itself (read at the hook before the steering
// edit, as analyze() reports them).
import { EngineStateError } from '../errors';
import { gatherFeatures } from '../sae/gather';
import type { Transformer } from './transformer';

export interface Alternative {
  id: number;
  prob: number;
}

export interface StreamReport {
  /** The generated ids (n). */
  ids: number[];
  /** (n) p(token) under the stream's own model. */
  prob: Float32Array;
  /** (n) p(token) under the other stream's model, on the same text. */
  otherProb: Float32Array;
  /** (n) KL(own || other) in nats, at the position that chose each token. */
  kl: Float32Array;
  /** The most likely tokens at each position under the own model, likeliest first. */
  alternatives: Alternative[][];
  /** SAE features at each generated token (n, K), strongest first; K = 0 without an SAE. */
  k: number;
  topIdx: Uint32Array;
  topVal: Float32Array;
}

/** Log-softmax of one logits row, in f64. */
export function logSoftmax(row: Float32Array): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(row.length);
  for (let i = 0; i < row.length; i++) out[i] = row[i] - lse;
  return out;
}

/** KL(p || q) from log-probabilities, in nats. */
export function klDivergence(logP: Float64Array, logQ: Float64Array): number {
  let kl = 0;
  for (let i = 0; i < logP.length; i++) {
    const p = Math.exp(logP[i]);
    if (p > 0) kl += p * (logP[i] - logQ[i]);
  }
  return Math.max(0, kl);
}

/** The n likeliest ids of a log-probability row, likeliest first. */
export function topAlternatives(logP: Float64Array, n: number): Alternative[] {
  const best: Alternative[] = [];
  for (let id = 0; id < logP.length; id++) {
    const prob = Math.exp(logP[id]);
    if (best.length === n && prob <= best[n - 1].prob) continue;
    let i = best.length < n ? best.length : n - 1;
    while (i > 0 && best[i - 1].prob < prob) i--;
    best.splice(i, 0, { id, prob });
    if (best.length > n) best.pop();
  }
  return best;
}

/**
 * Logits of the rows that chose each generated token (n, V), and the SAE's top features at the
 * generated tokens, from a fresh run of prompt + generated in KV slot 0, steered or not.
 */
async function run(model: Transformer, prompt: number[], generated: number[], steer: boolean, gather: number[] = []) {
  const n = generated.length;
  if (gather.length && n + 1 > model.maxT) {
    throw new EngineStateError(`${n} generated tokens are more than the ${model.maxT - 1} whose SAE activations stay on the GPU at once; generate fewer tokens.`);
  }
  model.reset(0);
  if (prompt.length > 1) await model.forward(prompt.slice(0, -1), { logits: 'none', steer });
  // the last prompt token chooses generated[0]; generated[n-1]'s own row chooses nothing but gives its features
  const r = await model.forward([prompt[prompt.length - 1], ...generated], { logits: 'all', steer });
  const V = model.cfg.vocabSize;
  const K = r.sae ? r.sae.topIdx.length / (n + 1) : 0;
  const gathered = gather.length ? await gatherFeatures(model.gpu, model.saeActs!, model.sae!.cfg.dSae, n + 1, gather) : new Float32Array(0);
  return {
    logits: r.logits.subarray(0, n * V),
    topIdx: r.sae ? r.sae.topIdx.slice(K, (n + 1) * K) : new Uint32Array(0),
    topVal: r.sae ? r.sae.topVal.slice(K, (n + 1) * K) : new Float32Array(0),
    K,
    /** (n, g): the gathered features at the generated tokens. */
    gathered: gathered.subarray(gather.length),
  };
}

/**
 * One stream's report; `steered` says which stream it is (its own model applies the steering).
 * `gather`: features whose activations at the generated tokens come back too (otherFeatures, (n, g)),
 * read in the other stream's run: for the steered stream, the unsteered model reading its text.
 */
export async function inspectStream(
  model: Transformer, prompt: number[], generated: number[], steered: boolean, nAlternatives = 5, gather: number[] = [],
): Promise<StreamReport & { otherFeatures: Float32Array }> {
  const n = generated.length;
  const report: StreamReport = {
    ids: generated, prob: new Float32Array(n), otherProb: new Float32Array(n), kl: new Float32Array(n),
    alternatives: [], k: 0, topIdx: new Uint32Array(0), topVal: new Float32Array(0),
  };
  if (n === 0) return { ...report, otherFeatures: new Float32Array(0) };
  const own = await run(model, prompt, generated, steered);
  const other = await run(model, prompt, generated, !steered, gather);
  const V = model.cfg.vocabSize;
  for (let i = 0; i < n; i++) {
    const lp = logSoftmax(own.logits.subarray(i * V, (i + 1) * V));
    const lq = logSoftmax(other.logits.subarray(i * V, (i + 1) * V));
    report.prob[i] = Math.exp(lp[generated[i]]);
    report.otherProb[i] = Math.exp(lq[generated[i]]);
    report.kl[i] = klDivergence(lp, lq);
    report.alternatives.push(nAlternatives > 0 ? topAlternatives(lp, nAlternatives) : []);
  }
  return { ...report, k: own.K, topIdx: own.topIdx, topVal: own.topVal, otherFeatures: other.gathered };
}

/** The first index where the two streams chose different tokens (null: none within the shorter). */
export function divergencePoint(a: number[], b: number[]): number | null {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? null : n;
}
