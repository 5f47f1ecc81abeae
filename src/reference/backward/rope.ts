// The VJP of the rotary embedding (with QK-norm when asked) on a fused qkv row (T, stride), in
// f64 (the forward: src/reference/rope.ts). q heads 0..NH, k heads NH..NH+NKV, HS each; v and any
// other columns pass through. The rotation by +angle is orthogonal: its VJP rotates by -angle.
// QK-norm's VJP is RMSNorm's (./rmsnorm.ts) over each head, weight q_norm or k_norm.
import { rowRms } from './rmsnorm';

export interface RopeShape {
  T: number;
  NH: number;
  NKV: number;
  HS: number;
  stride: number;
  /** (n_ctx, HS/2, 2) cos, sin, as src/model/rope.ts makes it */
  table: ArrayLike<number>;
  pos0?: number;
  /** weight (2 HS): q_norm then k_norm */
  qkNorm?: { weight: ArrayLike<number>; eps: number; offset: number };
}

/** rope (after QK-norm) of qkv (T, stride), in f64. */
export function ropeF64(qkv: ArrayLike<number>, a: RopeShape): Float64Array {
  const { T, NH, NKV, HS, stride, table, qkNorm } = a;
  const out = Float64Array.from(qkv);
  const half = HS / 2;
  for (let t = 0; t < T; t++) {
    const row = ((a.pos0 ?? 0) + t) * half;
    for (let h = 0; h < NH + NKV; h++) {
      const b = t * stride + h * HS;
      const x = Array.from({ length: HS }, (_, i) => qkv[b + i]);
      if (qkNorm) {
        const r = rowRms(qkv, b, HS, qkNorm.eps);
        const w = h >= NH ? HS : 0;
        for (let i = 0; i < HS; i++) x[i] *= r * (qkNorm.offset + qkNorm.weight[w + i]);
      }
      for (let i = 0; i < half; i++) {
        const [c, s] = [table[(row + i) * 2], table[(row + i) * 2 + 1]];
        out[b + i] = x[i] * c - x[i + half] * s;
        out[b + i + half] = x[i + half] * c + x[i] * s;
      }
    }
  }
  return out;
}

/** d qkv (T, stride) from dy (T, stride), the gradient at rope's output, and the forward's input qkv. */
export function ropeBackwardRef(dy: ArrayLike<number>, qkv: ArrayLike<number>, a: RopeShape): Float64Array {
  const { T, NH, NKV, HS, stride, table, qkNorm } = a;
  const dx = Float64Array.from(dy);
  const half = HS / 2;
  for (let t = 0; t < T; t++) {
    const row = ((a.pos0 ?? 0) + t) * half;
    for (let h = 0; h < NH + NKV; h++) {
      const b = t * stride + h * HS;
      const dn = new Float64Array(HS);
      for (let i = 0; i < half; i++) {
        const [c, s] = [table[(row + i) * 2], table[(row + i) * 2 + 1]];
        dn[i] = dy[b + i] * c + dy[b + i + half] * s;
        dn[i + half] = dy[b + i + half] * c - dy[b + i] * s;
      }
      if (!qkNorm) {
        dx.set(dn, b);
        continue;
      }
      const r = rowRms(qkv, b, HS, qkNorm.eps);
      const w = (i: number) => qkNorm.offset + qkNorm.weight[(h >= NH ? HS : 0) + i];
      let m = 0;
      for (let i = 0; i < HS; i++) m += dn[i] * w(i) * qkv[b + i];
      m /= HS;
      for (let i = 0; i < HS; i++) dx[b + i] = r * dn[i] * w(i) - qkv[b + i] * r ** 3 * m;
    }
  }
  return dx;
}
