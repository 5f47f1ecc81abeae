import type { Dispatch, Gpu } from '../gpu/gpu';
import { f32 } from '../gpu/gpu';
import { NonFiniteError } from '../errors';
import { checkSampling, type SamplingOptions } from '../model/sampling';
import { holds, positiveInts } from './check';

/** Most top candidates (ids, logits, probabilities) one sample can return beside its id. */
export const MAX_TOP_N = 16;
/** The id the kernel writes when the logits hold a NaN or an infinite max. */
export const NON_FINITE = 0xffffffff;

/** u32 words of a sample's output: [id, the draw's random bits, ids (N), logits (N), probs (N)]. */
export const sampleWords = (topN: number): number => 2 + 3 * topN;

/** x as hi + lo, two f32 whose sum is x to ~48 bits (the shader's df32). */
export const splitF64 = (x: number): [number, number] => {
  const hi = Math.fround(x);
  return [hi, Math.fround(x - hi)];
};

/**
 * Samples one token from logits (V) with the semantics of sample() in src/model/sampling.ts. rng
 * (1 u32) holds the mulberry32 state, advanced on the GPU by one draw unless greedy; out gets
 * sampleWords(topN) u32 (see shaders/sample.wgsl).
 */
export function sample(
  gpu: Gpu,
  a: { logits: GPUBuffer; rng: GPUBuffer; out: GPUBuffer; V: number; sampling: SamplingOptions; topN?: number; label?: string },
): Dispatch {
  const { V, sampling: s } = a;
  const topN = a.topN ?? 0;
  positiveInts('sample', { V });
  checkSampling(s);
  if (!(Number.isInteger(topN) && topN >= 0 && topN <= Math.min(MAX_TOP_N, V))) {
    throw new Error(`sample: topN=${topN} must be an integer in 0..${Math.min(MAX_TOP_N, V)}`);
  }
  holds('sample', 'logits', a.logits, V);
  holds('sample', 'rng', a.rng, 1);
  holds('sample', 'out', a.out, sampleWords(topN));
  const idDigits = V > 1 ? Math.ceil((32 - Math.clz32(V - 1)) / 4) : 0;
  const greedy = s.temperature === 0;
  const [tHi, tLo] = splitF64(greedy ? 1 : 1 / s.temperature);
  const [pHi, pLo] = splitF64(s.topP);
  const params = gpu.params('sample', [V, s.topK, idDigits, greedy ? 1 : 0, f32(tHi), f32(tLo), f32(pHi), f32(pLo)]);
  return gpu.dispatch('sample', a.label ?? 'sample', [params, a.logits, a.rng, a.out], [1], { TOP_N: topN });
}

export interface SampledToken {
  id: number;
  /** The 32 random bits the draw used (0 when greedy): Rng.next() * 2^32 on the CPU. */
  bits: number;
  /** The topN best candidates, best first: ids, logits and softmax(logits / T) over all V (T = 1 when greedy). */
  top: { ids: Uint32Array; logits: Float32Array; probs: Float32Array } | null;
}

/** Reads a sample's output words; throws NonFiniteError when the logits could not be sampled. */
export function parseSample(words: ArrayBuffer, topN: number, byteOffset = 0): SampledToken {
  const u = new Uint32Array(words, byteOffset, sampleWords(topN));
  if (u[0] === NON_FINITE) {
    throw new NonFiniteError('The logits hold a NaN or an infinite value, so no token can be sampled. Lower the steering strength or reload the model.');
  }
  const f = new Float32Array(words, byteOffset, sampleWords(topN));
  const top = topN ? { ids: u.slice(2, 2 + topN), logits: f.slice(2 + topN, 2 + 2 * topN), probs: f.slice(2 + 2 * topN, 2 + 3 * topN) } : null;
  return { id: u[0], bits: u[1], top };
}
