import type { AttentionHeads } from '../kernels/attention';

/**
 * The attention weights (NH, i + 1) of the query at chunk row t (absolute position i = pos0 + t,
 * head h at qkv[t * qStride + h * HS]) over cache rows 0..i of kCache (n_ctx, NKV * HS): scaled,
 * soft-capped when asked, 0 before the sliding window, softmax over the rest. In f64.
 */
export function attentionPatternRef(qkv: ArrayLike<number>, kCache: ArrayLike<number>, t: number, pos0: number, heads: AttentionHeads): Float64Array {
  const { NH, NKV, HS, qStride, window = 0, softcap = 0 } = heads;
  const scale = heads.scale ?? 1 / Math.sqrt(HS);
  const W = NKV * HS;
  const n = pos0 + t + 1;
  const first = window > 0 ? Math.max(0, n - window) : 0;
  const out = new Float64Array(NH * n);
  for (let h = 0; h < NH; h++) {
    const kv = Math.floor(h / (NH / NKV)) * HS;
    const s = out.subarray(h * n, (h + 1) * n);
    let m = -Infinity;
    for (let j = first; j < n; j++) {
      let d = 0;
      for (let i = 0; i < HS; i++) d += qkv[t * qStride + h * HS + i] * kCache[j * W + kv + i];
      s[j] = softcap > 0 ? softcap * Math.tanh((d * scale) / softcap) : d * scale;
      m = Math.max(m, s[j]);
    }
    let z = 0;
    for (let j = first; j < n; j++) z += s[j] = Math.exp(s[j] - m);
    for (let j = first; j < n; j++) s[j] /= z;
  }
  return out;
}
