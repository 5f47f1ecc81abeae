// GPU memory a model will take, from its config.json alone, so a load can be refused before its
// weights are downloaded. The figures follow what the loaders allocate: weights in decoder_prep.ts'
// GPU layout (or GPT-2's tensors), matrices in the storage dtype and vectors in f32 (storedDtype),
// the KV caches (per layer K and V, (n_ctx, NKV HS) f32, n_ctx capped as decoder.ts caps it; two
// of them, as steered generation runs a second stream beside the baseline), the activation
// buffers of one forward, and the SAE when one is named (sae.ts: W_enc and W_enc^T in the storage
// dtype, W_dec f32, its (T, d_sae) activations). Plans' small read-back buffers are left out (< 1%).
//
// WebGPU has no query for the GPU's total memory, so the rule is:
//  1. every buffer must fit the adapter's limits: a weight tensor is split along its rows into
//     parts of at most maxStorageBufferBindingSize (buffers.ts), so one row must fit; KV caches
//     and activations are bound whole, so each must fit whole (and maxBufferSize too);
//  2. where the browser reports the device's memory (navigator.deviceMemory, in GB, reported
//     exactly only below its cap of 8), the model must fit in half of it: such a device (a phone,
//     a small laptop) shares that memory between the GPU, the browser and the system.
// Beyond that the estimate is shown, and an allocation the GPU refuses is a GpuOutOfMemory.
import { ModelTooLargeError } from '../errors';
import { DTYPE_BYTES, type WeightDtype } from '../gpu/f16';
import { expectedShapes } from './config';
import { DECODER_MAX_CONTEXT, type DecoderConfig } from './decoder_config';
import { decoderGpuShapes } from './decoder_prep';
import type { ModelConfig } from './load';
import { storedDtype } from './weights';

export interface MemoryEstimate {
  weights: number;
  /** Both KV caches: the baseline's and the steered stream's. */
  kvCache: number;
  activations: number;
  /** The SAE's weights and activations (0 without one). */
  sae: number;
  total: number;
  /** The largest buffer that cannot be split: one weight row, a layer's K or V cache, an activation. */
  largest: { name: string; bytes: number };
  /** Context length the estimate assumes (the decoder's cap). */
  nCtx: number;
}

export interface AdapterLimits {
  maxBinding: number;
  maxBufferSize: number;
  /** navigator.deviceMemory where the browser reports it (GB). */
  deviceMemoryGB?: number;
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The SAE's widths, for its share: d_sae, and d_in (the model's d_model). */
export interface SaeDims {
  dSae: number;
}

/** Most tokens a forward's SAE activations cover at once (sae.ts maxTokens with its 256 MiB cap). */
const SAE_ACTS_CAP = 256 * 2 ** 20;

export function estimateGpuMemory(cfg: ModelConfig, dtype: WeightDtype, saeDims?: SaeDims): MemoryEstimate {
  const decoder = cfg.modelType !== 'gpt2';
  const shapes = decoder ? decoderGpuShapes(cfg as DecoderConfig) : [...expectedShapes(cfg)];
  const T = decoder ? Math.min(cfg.nCtx, DECODER_MAX_CONTEXT) : cfg.nCtx;
  const { dModel: C, vocabSize: V, nLayers: L } = cfg;
  let weights = 0;
  let largest = { name: '', bytes: 0 };
  const keep = (name: string, bytes: number) => {
    if (bytes > largest.bytes) largest = { name, bytes };
  };
  for (const [name, shape] of shapes) {
    const b = DTYPE_BYTES[storedDtype(shape, dtype)];
    weights += numel(shape) * b;
    keep(`${name} [${shape}]${shape.length > 1 ? ', one row' : ''}`, (shape.length > 1 ? numel(shape.slice(1)) : numel(shape)) * b);
  }
  // (T, NKV HS) f32 per layer, K and V
  const kvWidth = decoder ? (cfg as DecoderConfig).nKvHeads * cfg.dHead : C;
  const kvLayer = T * kvWidth * 4;
  keep('a layer\'s K cache', kvLayer);
  const kvCache = 2 * 2 * L * kvLayer; // K and V, two streams
  // resid (T, C), ids (T), the sampler's logits (1, V) and a plan's (1, V), plus the family's own
  const acts: Array<[string, number]> = [['resid', T * C * 4], ['ids', T * 4], ['logits (1, V) x2', 2 * V * 4]];
  if (decoder) {
    const d = cfg as DecoderConfig;
    const QKV = (d.nHeads + 2 * d.nKvHeads) * d.dHead;
    acts.push(['ln', T * C * 4], ['qkv', T * QKV * 4], ['att', T * d.nHeads * d.dHead * 4], ['sub', T * C * 4]);
    acts.push(['gate_up', T * 2 * d.dMlp * 4], ['mlp', T * d.dMlp * 4]);
    const ropes = new Set(d.layers.map((l) => JSON.stringify(l.rope))).size;
    acts.push(['rope tables', ropes * T * d.dHead * 4]); // (n_ctx, HS/2, 2) each
  } else {
    acts.push(['ln', T * C * 4], ['qkv', T * 3 * C * 4], ['att', T * C * 4], ['fc', T * cfg.dMlp * 4]);
  }
  let activations = 0;
  for (const [name, bytes] of acts) {
    activations += bytes;
    keep(`activation ${name}`, bytes);
  }
  let sae = 0;
  if (saeDims) {
    const S = saeDims.dSae;
    const Ts = Math.max(1, Math.min(T, Math.floor(SAE_ACTS_CAP / (S * 4))));
    sae = 2 * S * C * DTYPE_BYTES[dtype] + S * C * 4 + (5 * S + C) * 4 + Ts * (S * 4 + 3 * C * 4 + 16 + 2 * 64 * 4);
    keep('SAE activations (T, d_sae)', Ts * S * 4);
  }
  return { weights, kvCache, activations, sae, total: weights + kvCache + activations + sae, largest, nCtx: T };
}

export const gb = (bytes: number) => `${(bytes / 1e9).toFixed(bytes < 1e10 ? 2 : 1)} GB`;

/** Throws ModelTooLargeError when the adapter cannot hold the model (the rule above). */
export function checkFits(est: MemoryEstimate, limits: AdapterLimits, what = 'This model', dtype: WeightDtype = 'f16'): void {
  const cap = Math.min(limits.maxBinding, limits.maxBufferSize);
  const advice = dtype === 'f32' ? ' Store the weights as f16 (Models… → Weights on the GPU) to halve them, or pick a smaller model.' : ' Pick a smaller model.';
  if (est.largest.bytes > cap) {
    throw new ModelTooLargeError(
      `${what} needs a single GPU buffer of ${(est.largest.bytes / 2 ** 20).toFixed(0)} MiB (${est.largest.name}), above this adapter's ` +
        `limit of ${(cap / 2 ** 20).toFixed(0)} MiB per buffer.${advice}`,
    );
  }
  const dm = limits.deviceMemoryGB;
  if (dm !== undefined && dm > 0 && dm < 8 && est.total > (dm * 1e9) / 2) {
    throw new ModelTooLargeError(
      `${what} needs about ${gb(est.total)} of GPU memory (weights ${gb(est.weights)}, KV caches ${gb(est.kvCache)}, activations ${gb(est.activations)}${est.sae ? `, SAE ${gb(est.sae)}` : ''}), ` +
        `more than half of this device's ${dm} GB, which the GPU shares with the system.${advice}`,
    );
  }
}
