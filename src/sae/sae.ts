// An SAE on the GPU, run inside the forward pass at its hook: prepare the input (TransformerLens
// centring, normalization, b_dec), encode (matmul or matvec, then the nonlinearity), top-k per
// token, sparse decode, the reconstruction error, and the steering edit of the residual.
import { SaeCompatibilityError } from '../errors';
import { createBuffer, uploadBuffer, uploadTensor, type GpuTensor } from '../gpu/buffers';
import type { WeightDtype } from '../gpu/f16';
import type { Gpu, Step } from '../gpu/gpu';
import { matmul } from '../kernels/matmul';
import { logits as logitsOp } from '../kernels/logits';
import { saeDecode } from '../kernels/sae_decode';
import { saeEncode } from '../kernels/sae_encode';
import { saeError } from '../kernels/sae_error';
import { saeNorm } from '../kernels/sae_norm';
import { saeTopk } from '../kernels/sae_topk';
import { steer } from '../kernels/steer';
import { parseHook } from '../model/hooks';
import type { SaeConfig, SaeWeights } from './formats';

/** Per-token SAE activations, sized for up to maxT tokens. */
export interface SaeActs {
  xSae: GPUBuffer; // (T, C) the SAE's input space (centred when asked)
  xIn: GPUBuffer; // (T, C) normalized, b_dec subtracted
  stats: GPUBuffer; // (T, 2) (dec_scale, dec_shift)
  f: GPUBuffer; // (T, S) feature activations
  xHat: GPUBuffer; // (T, C) reconstruction
  err: GPUBuffer; // (T, 2) (|x - x_hat|, |x|)
  topIdx: GPUBuffer; // (T, K) u32
  topVal: GPUBuffer; // (T, K)
}

/** Throws SaeCompatibilityError when the SAE cannot run on this model; returns warnings otherwise. */
export function checkSaeForModel(cfg: SaeConfig, model: { nLayers: number; dModel: number }, modelNames: string[]): string[] {
  let layer: number;
  try {
    layer = parseHook(cfg.hookName, Number.MAX_SAFE_INTEGER).layer;
  } catch {
    throw new SaeCompatibilityError(
      `The SAE reads "${cfg.hookName}"; Glassbox runs SAEs on the residual stream (blocks.L.hook_resid_pre, hook_resid_mid or hook_resid_post).`,
    );
  }
  if (layer >= model.nLayers) {
    throw new SaeCompatibilityError(`The SAE reads layer ${layer} ("${cfg.hookName}"), but the model has layers 0..${model.nLayers - 1}: it is for a deeper model.`);
  }
  if (cfg.dIn !== model.dModel) {
    throw new SaeCompatibilityError(`The SAE's d_in is ${cfg.dIn} but the model's d_model is ${model.dModel}: this SAE was trained on another model. Load an SAE for this model.`);
  }
  const warnings: string[] = [];
  if (cfg.modelName && modelNames.length && !modelNames.includes(cfg.modelName)) {
    warnings.push(`This SAE was trained on "${cfg.modelName}", not on the loaded "${modelNames[0]}". Its features may mean nothing here.`);
  }
  if (cfg.normalizeActivations === 'expected_average_only_in' && cfg.normScalingFactor === null) {
    warnings.push('The SAE expects expected_average_only_in scaling, but no norm_scaling_factor was given: inputs are not rescaled.');
  }
  return warnings;
}

export class Sae {
  readonly layer: number;
  private readonly w: Record<'bEnc' | 'wDec' | 'bDec' | 'aux', GPUBuffer>;
  /** W_enc (C, S), for the encoder matmul over several tokens. */
  private readonly wEnc: GpuTensor;
  /** W_enc^T (S, C): single-token encodes read it as contiguous rows (see the `logits` kernel). */
  private readonly wEncT: GpuTensor;
  /** |W_dec[i]| per feature (S): for steering strengths in units of the feature's max activation. */
  readonly decoderNorms: Float32Array;

  /**
   * encDtype: how both copies of W_enc are stored (the model's weight dtype). W_dec stays f32:
   * the sparse decode reads only the active features' rows of it.
   */
  constructor(private readonly gpu: Gpu, readonly cfg: SaeConfig, weights: SaeWeights, encDtype: WeightDtype = 'f32') {
    const { device } = gpu;
    const S = cfg.dSae;
    // the encoder matmul reads W_enc as vec4 along d_sae; every published SAE width satisfies this
    if (S % 4) throw new SaeCompatibilityError(`The SAE's d_sae ${S} is not a multiple of 4, which Glassbox's kernels need.`);
    this.layer = parseHook(cfg.hookName, Number.MAX_SAFE_INTEGER).layer;
    const bias = weights.get(cfg.architecture === 'gated' ? 'b_gate' : 'b_enc')!;
    const aux = new Float32Array(4 * S); // see shaders/sae_encode.wgsl
    if (cfg.architecture === 'jumprelu') aux.set(weights.get('threshold')!);
    if (cfg.architecture === 'gated') {
      aux.set(weights.get('b_gate')!, 0);
      aux.set(weights.get('r_mag')!, S);
      aux.set(weights.get('b_mag')!, 2 * S);
    }
    aux.set(bias, 3 * S);
    const C = cfg.dIn;
    const wEnc = weights.get('W_enc')!;
    const wEncT = new Float32Array(S * C);
    for (let c = 0; c < C; c++) for (let s = 0; s < S; s++) wEncT[s * C + c] = wEnc[c * S + s];
    this.wEncT = uploadTensor(device, 'sae.W_enc^T (S, C)', [S, C], wEncT, gpu.ctx.maxBinding, encDtype);
    // one part: (C, S) in f32 is 75.5 MB for GPT-2's 24576-wide SAEs, under every binding limit
    this.wEnc = uploadTensor(device, 'sae.W_enc (C, S)', [C, S], wEnc, Infinity, encDtype);
    const wDec = weights.get('W_dec')!;
    this.decoderNorms = new Float32Array(S);
    for (let s = 0; s < S; s++) {
      let sum = 0;
      for (let c = 0; c < C; c++) sum += wDec[s * C + c] ** 2;
      this.decoderNorms[s] = Math.sqrt(sum);
    }
    this.w = {
      bEnc: uploadBuffer(device, 'sae.b_enc (S)', bias),
      wDec: uploadBuffer(device, 'sae.W_dec (S, C)', wDec),
      bDec: uploadBuffer(device, 'sae.b_dec (C)', weights.get('b_dec')!),
      aux: uploadBuffer(device, 'sae.aux (4, S)', aux),
    };
  }

  /** W_dec (S, C), f32: the decoder rows, for weights-only feature data (src/sae/feature_weights.ts). */
  get wDec(): GPUBuffer {
    return this.w.wDec;
  }

  /** Largest T whose (T, S) activations fit one binding. */
  maxTokens(maxBinding: number): number {
    return Math.max(1, Math.floor(Math.min(maxBinding, 256 * 2 ** 20) / (this.cfg.dSae * 4)));
  }

  allocActs(maxT: number, K: number): SaeActs {
    const { device } = this.gpu;
    const { dIn: C, dSae: S } = this.cfg;
    return {
      xSae: createBuffer(device, 'sae.x_sae (T, C)', maxT * C * 4),
      xIn: createBuffer(device, 'sae.x_in (T, C)', maxT * C * 4),
      stats: createBuffer(device, 'sae.stats (T, 2)', maxT * 8),
      f: createBuffer(device, 'sae.feature_acts (T, S)', maxT * S * 4),
      xHat: createBuffer(device, 'sae.x_hat (T, C)', maxT * C * 4),
      err: createBuffer(device, 'sae.error (T, 2)', maxT * 8),
      topIdx: createBuffer(device, 'sae.top_idx (T, K)', maxT * K * 4),
      topVal: createBuffer(device, 'sae.top_val (T, K)', maxT * K * 4),
    };
  }

  /** The steps at the hook: resid (T, C) is edited in place when `steering` is given. */
  steps(resid: GPUBuffer, acts: SaeActs, T: number, K: number, steering: GPUBuffer | null): Step[] {
    const { gpu, cfg, w } = this;
    const { dIn: C, dSae: S } = cfg;
    // One token: dot products of contiguous W_enc^T rows stream fastest (the bias comes in
    // sae_encode). Several: the matmul, which reuses each W_enc row across tokens.
    const encode =
      T === 1
        ? logitsOp(gpu, { x: acts.xIn, wte: this.wEncT, out: acts.f, row0: 0, R: 1, C, V: S }).map((d) => ({ ...d, label: 'sae.encode' }))
        : [matmul(gpu, { a: acts.xIn, b: this.wEnc, bias: w.bEnc, out: acts.f, M: T, N: S, K: C, label: 'sae.encode' })];
    const steps: Step[] = [
      saeNorm(gpu, {
        x: resid, bDec: w.bDec, xSae: acts.xSae, xIn: acts.xIn, stats: acts.stats, T, C,
        center: cfg.centerWritingWeights, norm: cfg.normalizeActivations, applyBDec: cfg.applyBDecToInput,
        scale: cfg.normScalingFactor ?? 1,
      }),
      ...encode,
      saeEncode(gpu, { f: acts.f, aux: w.aux, T, S, arch: cfg.architecture, addBias: T === 1 }),
    ];
    if (cfg.architecture === 'topk') {
      steps.push(saeTopk(gpu, { f: acts.f, idx: acts.topIdx, val: acts.topVal, T, S, K: cfg.k!, mask: true }));
    }
    steps.push(
      saeTopk(gpu, { f: acts.f, idx: acts.topIdx, val: acts.topVal, T, S, K }),
      saeDecode(gpu, { f: acts.f, wDec: w.wDec, bDec: w.bDec, stats: acts.stats, xHat: acts.xHat, T, S, C }),
      saeError(gpu, { x: acts.xSae, xHat: acts.xHat, out: acts.err, T, C }),
    );
    if (steering) steps.push(steer(gpu, { steering, f: acts.f, wDec: w.wDec, stats: acts.stats, x: resid, T, C, S }));
    return steps;
  }

  private buffers(): GPUBuffer[] {
    return [...Object.values(this.w), ...[this.wEnc, this.wEncT].flatMap((t) => t.parts.map((p) => p.buffer))];
  }

  gpuBytes(): number {
    return this.buffers().reduce((a, b) => a + b.size, 0);
  }

  destroy(): void {
    for (const b of this.buffers()) b.destroy();
  }
}
