/**
 * Causal multi-head attention: the query at chunk row t (absolute position pos0 + t, taken from
 * qkv (T, 3C)) attends to cache rows 0..pos0+t of kCache/vCache (n_ctx, C). Returns (T, C).
 */
export function attentionRef(
  qkv: Float32Array, kCache: Float32Array, vCache: Float32Array, T: number, C: number, NH: number, pos0: number,
): Float32Array {
  const HS = C / NH;
  const out = new Float32Array(T * C);
  const scale = 1 / Math.sqrt(HS);
  for (let t = 0; t < T; t++) {
    const n = pos0 + t + 1;
    for (let h = 0; h < NH; h++) {
      const s = new Float64Array(n);
      let m = -Infinity;
      for (let j = 0; j < n; j++) {
        let d = 0;
        for (let i = 0; i < HS; i++) d += qkv[t * 3 * C + h * HS + i] * kCache[j * C + h * HS + i];
        s[j] = d * scale;
        m = Math.max(m, s[j]);
      }
      let z = 0;
      for (let j = 0; j < n; j++) z += s[j] = Math.exp(s[j] - m);
      for (let i = 0; i < HS; i++) {
        let acc = 0;
        for (let j = 0; j < n; j++) acc += s[j] * vCache[j * C + h * HS + i];
        out[t * C + h * HS + i] = acc / z;
      }
    }
  }
  return out;
}
