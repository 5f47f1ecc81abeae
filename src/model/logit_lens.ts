// The logit lens: what the model would predict if the residual stream stopped at each layer.
// For every layer L (blocks.L.hook_resid_pre for L = 0..nLayers-1, then the last
// blocks.{n-1}.hook_resid_post) and every position t:
//   p = softmax(unembed(final_norm(resid[L, t])))
// with the model's own final-norm and LM-head kernels (Transformer.head), so the last row is the
// model's own next-token distribution.
//
// TransformerLens semantics: with fold_ln (the default of HookedTransformer.from_pretrained),
// GPT-2's ln_final weight and bias are folded into W_U and b_U and its centring into the
// unembedding (center_unembed), leaving ln_final a bare normalise; numerically that is the same
// as applying ln_final (with its weight and bias) and then the unembedding, which is what is done
// here (center_unembed shifts all logits of a row by one constant, which softmax ignores). For
// RMSNorm families the fold leaves an RMS normalise and W_U scaled by (1 + w) for Gemma: again
// the same as the final RMSNorm then the unembedding. Gemma 2's final logit soft-cap
// (output_logits_soft_cap) is applied by TransformerLens in its unembed, before the softmax:
// Transformer.head applies it the same way (logits.wgsl's SOFTCAP).
//
// On the GPU: the captured residuals go back up in chunks of rows small enough that a chunk's
// (rows, V) logits fit one binding; each chunk gets the final norm, the LM head, a per-row
// log-sum-exp and a per-row top-k of the logits, and only (rows, k) ids and logits and (rows)
// log-sum-exps come back: p = exp(logit - lse).
import { createBuffer, readBuffer } from '../gpu/buffers';
import { MAX_GRID } from '../gpu/gpu';
import { logsumexp } from '../kernels/logsumexp';
import { MAX_TOPK, saeTopk } from '../kernels/sae_topk';
import type { Transformer } from './transformer';

/** The most bytes of logits one chunk holds (also never above the adapter's binding limit). */
export const LENS_CHUNK_BYTES = 64 * 1024 * 1024;

export interface LogitLensRaw {
  /** The hook each layer row reads: blocks.L.hook_resid_pre for every L, then the last hook_resid_post. */
  hooks: string[];
  T: number;
  k: number;
  /** (hooks.length, T, k): the top-k token ids at each layer and position, most probable first. */
  ids: Uint32Array;
  /** (hooks.length, T, k): their probabilities. */
  probs: Float32Array;
}

export function lensHooks(nLayers: number): string[] {
  return [...Array.from({ length: nLayers }, (_, l) => `blocks.${l}.hook_resid_pre`), `blocks.${nLayers - 1}.hook_resid_post`];
}

/** Rows of (V) logits per chunk: within the chunk budget, the binding limit and the grid. */
export function lensChunkRows(V: number, maxBinding: number, rows: number): number {
  return Math.max(1, Math.min(rows, MAX_GRID, Math.floor(Math.min(LENS_CHUNK_BYTES, maxBinding) / (V * 4))));
}

/**
 * Runs `ids` from position 0 of KV slot 0 (the caller resets it) and reads the lens at every
 * layer and position. k: 1..64 (and at most V). chunkRows: rows per chunk (tests force small ones).
 */
export async function logitLens(model: Transformer, ids: number[], k: number, chunkRows?: number): Promise<LogitLensRaw> {
  const { gpu, cfg } = model;
  const { dModel: C, vocabSize: V, nLayers } = cfg;
  if (!(Number.isInteger(k) && k >= 1 && k <= Math.min(MAX_TOPK, V))) throw new RangeError(`logit lens: k must be 1..${Math.min(MAX_TOPK, V)}, got ${k}`);
  const hooks = lensHooks(nLayers);
  const T = ids.length;
  const fwd = await model.forward(ids, { hooks, logits: 'none' });
  const N = hooks.length * T; // rows, layer-major: row = layer * T + t
  const resid = new Float32Array(N * C); // (N, C)
  hooks.forEach((h, i) => resid.set(fwd.hooks[h], i * T * C));

  const rows = Math.min(chunkRows ?? lensChunkRows(V, gpu.ctx.maxBinding, N), N);
  const { device } = gpu;
  const x = createBuffer(device, 'lens resid (rows, C)', rows * C * 4);
  const normed = createBuffer(device, 'lens normed (rows, C)', rows * C * 4);
  const logits = createBuffer(device, 'lens logits (rows, V)', rows * V * 4);
  const idx = createBuffer(device, 'lens top ids (rows, k)', rows * k * 4);
  const val = createBuffer(device, 'lens top logits (rows, k)', rows * k * 4);
  const lse = createBuffer(device, 'lens lse (rows)', rows * 4);
  const out = createBuffer(device, 'lens out (rows, 2k + 1)', rows * (2 * k + 1) * 4); // ids | logits | lse
  const res: LogitLensRaw = { hooks, T, k, ids: new Uint32Array(N * k), probs: new Float32Array(N * k) };
  try {
    for (let r0 = 0; r0 < N; r0 += rows) {
      const R = Math.min(rows, N - r0);
      device.queue.writeBuffer(x, 0, resid, r0 * C, R * C);
      const steps = [
        ...model.head(x, normed, R, logits, 0, R),
        logsumexp(gpu, { x: logits, out: lse, R, V, label: 'lens lse' }),
        saeTopk(gpu, { f: logits, idx, val, T: R, S: V, K: k, signed: true }),
        gpu.copy('lens ids', idx, out, R * k * 4),
        gpu.copy('lens logits', val, out, R * k * 4, 0, rows * k * 4),
        gpu.copy('lens lse', lse, out, R * 4, 0, 2 * rows * k * 4),
      ];
      try {
        gpu.run(steps, 'logit lens');
        const buf = await readBuffer(device, out);
        const top = new Uint32Array(buf, 0, R * k);
        const logit = new Float32Array(buf, rows * k * 4, R * k);
        const l = new Float32Array(buf, 2 * rows * k * 4, R);
        res.ids.set(top, r0 * k);
        for (let i = 0; i < R * k; i++) res.probs[r0 * k + i] = Math.exp(logit[i] - l[Math.floor(i / k)]);
      } finally {
        gpu.release(steps);
      }
    }
  } finally {
    for (const b of [x, normed, logits, idx, val, lse, out]) b.destroy();
  }
  return res;
}
