// Feature attribution (attribution patching) for an SAE on blocks.L.hook_resid_pre of any family
// (GPT-2, the modern decoders): which SAE features, at which positions, push a logit target
// (logit[position, token] minus logit[position, minusToken]) up or down. It takes a Transformer
// with the SAE attached; its backward (model.gradients) reads the model's own weights.
//
// With g(t) = d target / d resid_pre[L] (t) from the GPU backward (src/model/backward.ts) and the
// SAE's output written in model space as
//   x(t) = sum_i f_i(t) * dec_scale(t) * W_dec[i] + (b_dec * dec_scale(t) + dec_shift(t) [+ mean]) + err(t),
// each active feature i at each position t gets
//   attribution = f_i(t) * dec_scale(t) * (W_dec[i] . g(t)),
// the gradient times its decoder contribution: the linear (first-order) estimate of what removing
// that contribution takes away from the target, i.e. target - target(feature i ablated at t)
// ~= attribution (ablating with the error-preserving clamp to 0 moves the target by -attribution).
// The SAE's error node per position is error(t) = (x(t) - x_hat(t)) . g(t) with x_hat in model space
// (x_sae - x_hat in the SAE's buffers: centring shifts both alike).
//
// f, stats (dec_scale, dec_shift), x_sae and x_hat are read back from the SAE's own buffers
// (model.saeActs) after one forward with the SAE attached, so they are exactly what the model
// ran (top-k masks and all), not a CPU re-run. W_dec[i] . g(t) for every feature comes from one
// GPU matmul (g · W_decᵀ): the decoder itself is never read back.
//
// Direct logit attribution (DLA) of the features at the target position:
//   DLA_i = f_i * dec_scale * (W_dec[i] . (W_U[token] - W_U[minusToken]))
// through the unembedding W_U (model.unembed: GPT-2's tied wte, a decoder's lm_head or tied embed
// without Gemma's sqrt(C) input scale) WITHOUT the final norm, the final soft-cap and every block
// after the hook: the standard "direct" approximation, not a gradient.
import { createBuffer, readF32, uploadBuffer } from '../gpu/buffers';
import type { Gpu } from '../gpu/gpu';
import { matmulBackwardInput } from '../kernels/matmul_backward';
import { unembedRows, type LogitTarget } from './backward';
import { parseHook } from './hooks';
import { argmax } from './sampling';
import type { Transformer } from './transformer';

export interface FeatureAttributionEntry {
  feature: number;
  position: number;
  /** f_i(t), the SAE's activation. */
  activation: number;
  /** f_i(t) * dec_scale(t) * (W_dec[i] . g(t)). */
  attribution: number;
}

export interface DirectLogitEntry {
  feature: number;
  activation: number;
  /** f_i * dec_scale * (W_dec[i] . (W_U[token] - W_U[minusToken])), no final norm. */
  dla: number;
}

export interface FeatureAttribution {
  hook: string;
  layer: number;
  T: number;
  /** The target's token (the model's top prediction when the caller gave none). */
  token: number;
  /** The model's logits at the target position (V), from the forward with the SAE. */
  logits: Float32Array;
  /** The target's value in the forward that produced the activations. */
  target: number;
  /** Every active feature at every position, by |attribution|, largest first (cut to `limit`). */
  features: FeatureAttributionEntry[];
  /** How many (feature, position) pairs were active in all (before `limit`). */
  active: number;
  /** (T) sum of the feature attributions at each position. */
  total: Float32Array;
  /** (T) the SAE error node, (x - x_hat) . g, at each position. */
  error: Float32Array;
  /** Active features at the target position, by |DLA|, largest first. */
  direct: DirectLogitEntry[];
}

/** A LogitTarget whose token may be left to the model: null is its top prediction at `position`. */
export type AttributionTarget = Omit<LogitTarget, 'token'> & { token: number | null };

export interface FeatureAttributionOptions {
  /** Keep the `limit` largest |attribution| entries (default: all). */
  limit?: number;
}

export const ATTRIBUTION_HOOKS = 'attribution supports SAEs on blocks.L.hook_resid_pre, and on hook_resid_post of every layer but the last';

/** The layer whose d target / d resid_pre the SAE's hook reads (resid_post[L] is resid_pre[L + 1]), or null. */
export function attributionLayer(hook: string, nLayers: number): number | null {
  const { layer, kind } = parseHook(hook, nLayers);
  if (kind === 'hook_resid_pre') return layer;
  return kind === 'hook_resid_post' && layer + 1 < nLayers ? layer + 1 : null;
}

/** (n, S): row r holds W_dec[i] . rows[r] for every feature i (matmul_backward_input computes rows · W_decᵀ). */
async function decoderDots(gpu: Gpu, wDec: GPUBuffer, rows: Float32Array, n: number, C: number, S: number): Promise<Float32Array> {
  const dy = uploadBuffer(gpu.device, 'attribution rows (n, C)', rows);
  const out = createBuffer(gpu.device, 'W_dec . rows (n, S)', n * S * 4);
  const step = matmulBackwardInput(gpu, { dy, b: wDec, da: out, M: n, N: C, K: S, label: 'W_dec . g' });
  try {
    gpu.run([step], 'attribution dots');
    return await readF32(gpu.device, out, n * S);
  } finally {
    gpu.release([step]);
    dy.destroy();
    out.destroy();
  }
}

/**
 * Attribution of `target` to the features of the SAE attached to `model` (resid_pre hooks only),
 * over the prompt `ids` run from position 0. Empties the model's KV cache slot 0 (model.reset())
 * and runs one forward (SAE attached, no steering) and one backward.
 */
export async function featureAttribution(model: Transformer, ids: number[], target: AttributionTarget, opts: FeatureAttributionOptions = {}): Promise<FeatureAttribution> {
  const sae = model.sae;
  const acts = model.saeActs;
  if (!sae || !acts) throw new Error('featureAttribution: attach an SAE to the model first (model.attachSae)');
  const hook = sae.cfg.hookName;
  const { layer } = parseHook(hook, model.cfg.nLayers);
  const gradLayer = attributionLayer(hook, model.cfg.nLayers);
  if (gradLayer === null) throw new Error(`featureAttribution: the SAE reads "${hook}"; ${ATTRIBUTION_HOOKS}`);
  const T = ids.length;
  if (T < 1) throw new Error('featureAttribution: no tokens');
  if (T > model.maxT) throw new Error(`featureAttribution: ${T} tokens exceed the ${model.maxT} one forward with this SAE can run`);
  if (target.position < 0 || target.position >= T || !Number.isInteger(target.position)) {
    throw new Error(`featureAttribution: target position ${target.position} is outside the prompt (T=${T})`);
  }
  const V = model.cfg.vocabSize;
  for (const tok of [target.token ?? 0, target.minusToken ?? 0]) {
    if (!(Number.isInteger(tok) && tok >= 0 && tok < V)) throw new Error(`featureAttribution: target token ${tok} is outside the vocabulary (0..${V - 1})`);
  }
  const { dIn: C, dSae: S } = sae.cfg;
  const { device } = model.gpu;

  // The forward with the SAE: activations from its own buffers, the target from the logits.
  model.reset();
  const fwd = await model.forward(ids, { logits: 'all' });
  const logits = fwd.logits.slice(target.position * V, (target.position + 1) * V);
  const token = target.token ?? argmax(logits);
  const targetValue = logits[token] - (target.minusToken != null ? logits[target.minusToken] : 0);
  const tg: LogitTarget = { ...target, token };
  const [f, stats, xSae, xHat] = await Promise.all([
    readF32(device, acts.f, T * S),
    readF32(device, acts.stats, T * 2),
    readF32(device, acts.xSae, T * C),
    readF32(device, acts.xHat, T * C),
  ]);
  const g = (await model.gradients(ids, tg))[gradLayer]; // (T, C)
  // Direct logit attribution reads W_U = model.unembed (no final norm) at the target position.
  const rows = await unembedRows(model.gpu, model.unembed, target.minusToken != null ? [token, target.minusToken] : [token], C);
  const u = new Float32Array(C);
  for (let c = 0; c < C; c++) u[c] = rows[c] - (target.minusToken != null ? rows[C + c] : 0);
  // every feature's W_dec[i] . g(t), and W_dec[i] . u, on the GPU: W_dec never leaves it
  const gu = new Float32Array((T + 1) * C);
  gu.set(g);
  gu.set(u, T * C);
  const dots = await decoderDots(model.gpu, sae.wDec, gu, T + 1, C, S); // (T + 1, S)

  const features: FeatureAttributionEntry[] = [];
  const total = new Float32Array(T);
  const error = new Float32Array(T);
  for (let t = 0; t < T; t++) {
    const gt = g.subarray(t * C, (t + 1) * C);
    let e = 0;
    for (let c = 0; c < C; c++) e += (xSae[t * C + c] - xHat[t * C + c]) * gt[c];
    error[t] = e;
    const scale = stats[2 * t];
    let sum = 0;
    for (let i = 0; i < S; i++) {
      const a = f[t * S + i];
      if (a === 0) continue;
      const attribution = a * scale * dots[t * S + i];
      sum += attribution;
      features.push({ feature: i, position: t, activation: a, attribution });
    }
    total[t] = sum;
  }
  const active = features.length;
  features.sort((a, b) => Math.abs(b.attribution) - Math.abs(a.attribution));
  if (opts.limit != null && opts.limit < features.length) features.length = Math.max(0, opts.limit);

  const direct: DirectLogitEntry[] = [];
  const tp = target.position;
  for (let i = 0; i < S; i++) {
    const a = f[tp * S + i];
    if (a === 0) continue;
    direct.push({ feature: i, activation: a, dla: a * stats[2 * tp] * dots[T * S + i] });
  }
  direct.sort((a, b) => Math.abs(b.dla) - Math.abs(a.dla));

  return { hook, layer, T, token, logits, target: targetValue, features, active, total, error, direct };
}
