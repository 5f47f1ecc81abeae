/**
 * In place on a copy of qkv (T, stride): q heads 0..NH and k heads NH..NH+NKV (each HS) rotated
 * by positions pos0 + t with the (n_ctx, HS/2, 2) cos/sin table, rotate-half style; with qkNorm
 * ((2, HS) weights, q_norm then k_norm) each head is RMS-normalised first. f64 arithmetic.
 */
export function ropeRef(
  qkv: Float32Array, T: number, NH: number, NKV: number, HS: number, stride: number, pos0: number, table: Float32Array,
  qkNorm?: { weight: Float32Array; eps: number; offset: 0 | 1 },
): Float32Array {
  const out = qkv.slice();
  const half = HS / 2;
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < NH + NKV; h++) {
      const b = t * stride + h * HS;
      const x = Array.from(qkv.subarray(b, b + HS));
      if (qkNorm) {
        const r = 1 / Math.sqrt(x.reduce((s, v) => s + v * v, 0) / HS + qkNorm.eps);
        const w = h >= NH ? HS : 0;
        for (let i = 0; i < HS; i++) x[i] *= r * (qkNorm.offset + qkNorm.weight[w + i]);
      }
      for (let i = 0; i < half; i++) {
        const c = table[((pos0 + t) * half + i) * 2];
        const s = table[((pos0 + t) * half + i) * 2 + 1];
        out[b + i] = x[i] * c - x[i + half] * s;
        out[b + i + half] = x[i + half] * c + x[i] * s;
      }
    }
  }
  return out;
}
