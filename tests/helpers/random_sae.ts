// Random SAEs as the files a user would load: a SAELens folder (v6 or pre-v6 cfg.json +
// sae_weights.safetensors), a Gemma Scope params.npz (zip of .npy, written with fflate) or a
// Gemma Scope 2 folder (config.json + params.safetensors, f32, f16 or bf16).
import { zipSync } from 'fflate';
import { Rng } from '../../src/model/rng';
import { writeSafetensors } from '../../src/model/safetensors';
import { toHalf } from '../../src/gpu/f16';
import type { SaeArchitecture } from '../../src/kernels/sae_encode';
import type { NormalizeActivations } from '../../src/kernels/sae_norm';

export interface RandomSaeSpec {
  dIn: number;
  dSae: number;
  hookName: string;
  arch: SaeArchitecture;
  seed: number;
  k?: number;
  norm?: NormalizeActivations;
  center?: boolean;
  applyBDec?: boolean;
  modelName?: string;
  /** Write the pre-v6 flat layout (hook_point, activation_fn_str...) instead of v6. */
  legacy?: boolean;
}

export function randomSaeTensors(s: RandomSaeSpec): Record<string, Float32Array> {
  const rng = new Rng(s.seed);
  const t: Record<string, Float32Array> = {
    W_enc: rng.array(s.dIn * s.dSae, 0.3),
    W_dec: rng.array(s.dSae * s.dIn, 0.2),
    b_dec: rng.array(s.dIn, 0.1),
  };
  if (s.arch === 'gated') {
    t.b_gate = rng.array(s.dSae, 0.5);
    t.r_mag = rng.array(s.dSae, 0.2);
    t.b_mag = rng.array(s.dSae, 0.5);
  } else t.b_enc = rng.array(s.dSae, 0.5).map((v) => v - 0.3);
  if (s.arch === 'jumprelu') t.threshold = Float32Array.from({ length: s.dSae }, () => rng.next() * 0.8);
  return t;
}

export function randomSaeLensFiles(s: RandomSaeSpec): Record<string, ArrayBuffer> {
  const t = randomSaeTensors(s);
  const shapes: Record<string, number[]> = { W_enc: [s.dIn, s.dSae], W_dec: [s.dSae, s.dIn], b_dec: [s.dIn] };
  const st = writeSafetensors(Object.fromEntries(Object.entries(t).map(([k, v]) => [k, { shape: shapes[k] ?? [s.dSae], data: v }])));
  const kwargs = s.center ? { center_writing_weights: true } : {};
  const cfg = s.legacy
    ? {
        model_name: s.modelName ?? 'random-gpt2',
        hook_point: s.hookName,
        hook_point_layer: Number(s.hookName.split('.')[1]),
        d_in: s.dIn,
        d_sae: s.dSae,
        dtype: 'torch.float32',
        activation_fn_str: s.arch === 'topk' ? 'topk' : 'relu',
        activation_fn_kwargs: s.arch === 'topk' ? { k: s.k } : {},
        normalize_activations: s.norm ?? 'none',
        apply_b_dec_to_input: s.applyBDec ?? true,
        model_from_pretrained_kwargs: kwargs,
      }
    : {
        architecture: s.arch,
        d_in: s.dIn,
        d_sae: s.dSae,
        dtype: 'float32',
        device: 'cpu',
        apply_b_dec_to_input: s.applyBDec ?? true,
        normalize_activations: s.norm ?? 'none',
        reshape_activations: 'none',
        ...(s.arch === 'topk' ? { k: s.k } : {}),
        metadata: { model_name: s.modelName ?? 'random-gpt2', hook_name: s.hookName, model_from_pretrained_kwargs: kwargs, sae_lens_version: '6.5.1' },
      };
  const enc = new TextEncoder();
  return { 'cfg.json': enc.encode(JSON.stringify(cfg)).buffer as ArrayBuffer, 'sae_weights.safetensors': st.buffer as ArrayBuffer };
}

/** One .npy (format 1.0, little-endian f4, C order). */
export function npy(data: Float32Array, shape: number[]): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n'; // pad so data starts 64-byte aligned
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(10 + h.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, h.length, true);
  out.set(h, 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + h.length);
  return out;
}

export function randomGemmaScopeNpz(s: RandomSaeSpec): ArrayBuffer {
  const t = randomSaeTensors({ ...s, arch: 'jumprelu' });
  const shapes: Record<string, number[]> = { W_enc: [s.dIn, s.dSae], W_dec: [s.dSae, s.dIn], b_dec: [s.dIn], b_enc: [s.dSae], threshold: [s.dSae] };
  const files = Object.fromEntries(Object.entries(t).map(([k, v]) => [`${k}.npy`, npy(v, shapes[k])]));
  return zipSync(files).buffer as ArrayBuffer;
}

/** safetensors with every tensor stored as F32, F16 or BF16 (bf16: the f32's top half, rounded to nearest even). */
export function writeSafetensorsAs(tensors: Record<string, { shape: number[]; data: Float32Array }>, dtype: 'F32' | 'F16' | 'BF16'): Uint8Array {
  if (dtype === 'F32') return writeSafetensors(tensors);
  const header: Record<string, unknown> = {};
  const parts: Uint16Array[] = [];
  let off = 0;
  for (const [name, { shape, data }] of Object.entries(tensors)) {
    const bits = dtype === 'F16' ? toHalf(data, false) : toBf16(data);
    header[name] = { dtype, shape, data_offsets: [off, off + bits.byteLength] };
    parts.push(bits);
    off += bits.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(json.length + ((8 - ((8 + json.length) % 8)) % 8)).fill(0x20);
  head.set(json);
  const out = new Uint8Array(8 + head.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let p = 8 + head.length;
  for (const bits of parts) {
    out.set(new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength), p);
    p += bits.byteLength;
  }
  return out;
}

function toBf16(data: Float32Array): Uint16Array {
  const u = new Uint32Array(data.buffer, data.byteOffset, data.length);
  return Uint16Array.from(u, (b) => (b + 0x7fff + ((b >>> 16) & 1)) >>> 16);
}

export interface RandomGemmaScope2Spec extends Omit<RandomSaeSpec, 'arch'> {
  dtype?: 'F32' | 'F16' | 'BF16';
  /** Fields merged into config.json (undefined removes one). */
  config?: Record<string, unknown>;
}

/**
 * A Gemma Scope 2 folder as on the Hub (resid_post/layer_L_width_..._l0_.../): config.json with the
 * fields the real ones have, and params.safetensors with w_enc (d_in, d_sae), w_dec (d_sae, d_in),
 * b_enc, b_dec and threshold. hookName blocks.L.hook_resid_post becomes "model.layers.L.output".
 */
export function randomGemmaScope2Files(s: RandomGemmaScope2Spec): Record<string, ArrayBuffer> {
  const t = randomSaeTensors({ ...s, arch: 'jumprelu' });
  const st = writeSafetensorsAs(
    {
      w_enc: { shape: [s.dIn, s.dSae], data: t.W_enc },
      w_dec: { shape: [s.dSae, s.dIn], data: t.W_dec },
      b_enc: { shape: [s.dSae], data: t.b_enc },
      b_dec: { shape: [s.dIn], data: t.b_dec },
      threshold: { shape: [s.dSae], data: t.threshold },
    },
    s.dtype ?? 'F32',
  );
  const layer = /^blocks\.(\d+)\.hook_resid_post$/.exec(s.hookName)?.[1] ?? '0';
  const point = `model.layers.${layer}.output`;
  const cfg: Record<string, unknown> = {
    hf_hook_point_in: point,
    hf_hook_point_out: point,
    width: s.dSae,
    model_name: s.modelName ?? 'google/gemma-3-270m-pt',
    architecture: 'jump_relu',
    l0: 60,
    affine_connection: false,
    type: 'sae',
    ...s.config,
  };
  const enc = new TextEncoder();
  return { 'config.json': enc.encode(JSON.stringify(cfg)).buffer as ArrayBuffer, 'params.safetensors': st.buffer as ArrayBuffer };
}
