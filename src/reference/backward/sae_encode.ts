// The VJP of an SAE's encoder, d x (T, C) from d acts (T, S), in f64. The forward (as
// src/reference/sae.ts composes it from the kernels' twins):
//   x_sae = x - mean(x) when center (TransformerLens' center_writing_weights), else x
//   x_n   = norm(x_sae): none | constant_norm_rescale x sqrt(C)/|x| | layer_norm (x - mu)/(std + eps),
//           std unbiased | expected_average_only_in x * scale
//   x_in  = x_n - b_dec * applyBDec;  p = x_in W_enc + b_enc (b_gate when gated)
//   acts  = standard ReLU(p) | jumprelu p [p > threshold] (then ReLU) | topk ReLU of the top k of p
//           | gated [p > 0] ReLU((p - b_gate) exp(r_mag) + b_mag)
// Backward: d p = d acts where the feature is active (acts > 0), 0 elsewhere: the straight-through
// zero gradient of the jump, of the top-k selection and of the gate (d p = d acts exp(r_mag)
// for gated's magnitude path). Then d x_in = d p W_encᵀ, and the normalisation's VJP.
import type { SaeArchitecture } from '../../kernels/sae_encode';
import type { NormalizeActivations } from '../../kernels/sae_norm';

export interface SaeEncodeSpec {
  C: number;
  S: number;
  arch: SaeArchitecture;
  /** topk's k */
  k?: number;
  center: boolean;
  norm: NormalizeActivations;
  applyBDec: boolean;
  /** expected_average_only_in's norm_scaling_factor */
  scale?: number;
  W_enc: ArrayLike<number>; // (C, S)
  b_enc: ArrayLike<number>; // (S), b_gate when gated
  b_dec: ArrayLike<number>; // (C)
  threshold?: ArrayLike<number>; // (S) jumprelu
  r_mag?: ArrayLike<number>; // (S) gated
  b_mag?: ArrayLike<number>; // (S) gated
}

const EPS = 1e-5; // layer_norm's, as shaders/sae_norm.wgsl

/** x_in (T, C) from the residual x (T, C), in f64. */
export function saeNormF64(x: ArrayLike<number>, T: number, a: SaeEncodeSpec): Float64Array {
  const { C } = a;
  const out = new Float64Array(T * C);
  for (let t = 0; t < T; t++) {
    const row = Array.from({ length: C }, (_, c) => x[t * C + c]);
    const shift = a.center ? row.reduce((s, v) => s + v, 0) / C : 0;
    const xs = row.map((v) => v - shift);
    let mu = 0;
    let mul = 1;
    if (a.norm === 'constant_norm_rescale') mul = Math.sqrt(C) / Math.sqrt(xs.reduce((s, v) => s + v * v, 0));
    else if (a.norm === 'layer_norm') {
      mu = xs.reduce((s, v) => s + v, 0) / C;
      mul = 1 / (Math.sqrt(xs.reduce((s, v) => s + (v - mu) ** 2, 0) / (C - 1)) + EPS);
    } else if (a.norm === 'expected_average_only_in') mul = a.scale ?? 1;
    for (let c = 0; c < C; c++) out[t * C + c] = (xs[c] - mu) * mul - (a.applyBDec ? a.b_dec[c] : 0);
  }
  return out;
}

/** The pre-activations p (T, S) and the activations (T, S), in f64. */
export function saeEncodeF64(x: ArrayLike<number>, T: number, a: SaeEncodeSpec): { pre: Float64Array; acts: Float64Array } {
  const { C, S } = a;
  const xIn = saeNormF64(x, T, a);
  const pre = new Float64Array(T * S);
  const acts = new Float64Array(T * S);
  for (let t = 0; t < T; t++) {
    for (let s = 0; s < S; s++) {
      let acc = a.b_enc[s];
      for (let c = 0; c < C; c++) acc += xIn[t * C + c] * a.W_enc[c * S + s];
      pre[t * S + s] = acc;
    }
    const keep = new Set(a.arch === 'topk' ? topk(pre.subarray(t * S, (t + 1) * S), a.k!) : []);
    for (let s = 0; s < S; s++) {
      const v = pre[t * S + s];
      let f = Math.max(v, 0);
      if (a.arch === 'jumprelu' && !(v > a.threshold![s])) f = 0;
      if (a.arch === 'topk' && !keep.has(s)) f = 0;
      if (a.arch === 'gated') f = v > 0 ? Math.max((v - a.b_enc[s]) * Math.exp(a.r_mag![s]) + a.b_mag![s], 0) : 0;
      acts[t * S + s] = f;
    }
  }
  return { pre, acts };
}

/** Indices of the k largest values (ties: lower index first), as sae_topk. */
function topk(p: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: p.length }, (_, s) => s).sort((a, b) => p[b] - p[a] || a - b).slice(0, k);
}

/** d p (T, S) = d acts where acts > 0 (times exp(r_mag) when gated), else 0. */
export function saeActBackwardRef(dActs: ArrayLike<number>, acts: ArrayLike<number>, T: number, a: SaeEncodeSpec): Float64Array {
  const { S } = a;
  return Float64Array.from({ length: T * S }, (_, i) => (acts[i] > 0 ? dActs[i] * (a.arch === 'gated' ? Math.exp(a.r_mag![i % S]) : 1) : 0));
}

/** d x (T, C) from d x_in (T, C) and the residual x (T, C): the VJP of centering and normalisation. */
export function saeNormBackwardRef(dIn: ArrayLike<number>, x: ArrayLike<number>, T: number, a: SaeEncodeSpec): Float64Array {
  const { C } = a;
  const dx = new Float64Array(T * C);
  for (let t = 0; t < T; t++) {
    const row = Array.from({ length: C }, (_, c) => x[t * C + c]);
    const g = Array.from({ length: C }, (_, c) => dIn[t * C + c]);
    const shift = a.center ? row.reduce((s, v) => s + v, 0) / C : 0;
    const xs = row.map((v) => v - shift);
    let dxs = g;
    if (a.norm === 'constant_norm_rescale') {
      // x_n = xs sqrt(C) / |xs|:  d xs = sqrt(C)/|xs| (g - xs (xs · g) / |xs|²)
      const q = xs.reduce((s, v) => s + v * v, 0);
      const xg = xs.reduce((s, v, c) => s + v * g[c], 0);
      dxs = xs.map((v, c) => (Math.sqrt(C) / Math.sqrt(q)) * (g[c] - (v * xg) / q));
    } else if (a.norm === 'layer_norm') {
      // x_n = d / (sd + eps), d = xs - mean(xs), sd = sqrt(Σ d² / (C - 1)):
      //   dd = g / (sd + eps) - (d · g) d / ((sd + eps)² (C - 1) sd),  d xs = dd - mean(dd)
      const mu = xs.reduce((s, v) => s + v, 0) / C;
      const d = xs.map((v) => v - mu);
      const sd = Math.sqrt(d.reduce((s, v) => s + v * v, 0) / (C - 1));
      const ia = 1 / (sd + EPS);
      const dg = d.reduce((s, v, c) => s + v * g[c], 0);
      const dd = d.map((v, c) => ia * g[c] - (ia * ia * dg * v) / ((C - 1) * sd));
      const m = dd.reduce((s, v) => s + v, 0) / C;
      dxs = dd.map((v) => v - m);
    } else if (a.norm === 'expected_average_only_in') dxs = g.map((v) => v * (a.scale ?? 1));
    const m = a.center ? dxs.reduce((s, v) => s + v, 0) / C : 0;
    for (let c = 0; c < C; c++) dx[t * C + c] = dxs[c] - m;
  }
  return dx;
}

/** d x (T, C) from d acts (T, S) and the residual x (T, C). */
export function saeEncodeBackwardRef(dActs: ArrayLike<number>, x: ArrayLike<number>, T: number, a: SaeEncodeSpec): Float64Array {
  const { C, S } = a;
  const dp = saeActBackwardRef(dActs, saeEncodeF64(x, T, a).acts, T, a);
  const dIn = new Float64Array(T * C);
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) {
      let acc = 0;
      for (let s = 0; s < S; s++) acc += dp[t * S + s] * a.W_enc[c * S + s];
      dIn[t * C + c] = acc;
    }
  }
  return saeNormBackwardRef(dIn, x, T, a);
}
