import type { AttentionHeads } from '../kernels/attention';

/**
 * Causal multi-head attention: the query at chunk row t (absolute position i = pos0 + t, head h at
 * qkv[t * qStride + h * HS]) attends to cache rows max(0, i - window + 1)..i of kCache/vCache
 * (n_ctx, NKV * HS), through KV head h / (NH / NKV). Scores are scaled, then soft-capped when
 * asked. Returns (T, NH * HS).
 */
export function attentionRef(qkv: Float32Array, kCache: Float32Array, vCache: Float32Array, T: number, pos0: number, heads: AttentionHeads): Float32Array {
  const { NH, NKV, HS, qStride, window = 0, softcap = 0 } = heads;
  const scale = heads.scale ?? 1 / Math.sqrt(HS);
  const W = NKV * HS;
  const group = NH / NKV;
  const out = new Float32Array(T * NH * HS);
  for (let t = 0; t < T; t++) {
    const n = pos0 + t + 1;
    const first = window > 0 ? Math.max(0, n - window) : 0;
    for (let h = 0; h < NH; h++) {
      const kv = Math.floor(h / group) * HS;
      const s = new Float64Array(n);
      let m = -Infinity;
      for (let j = first; j < n; j++) {
        let d = 0;
        for (let i = 0; i < HS; i++) d += qkv[t * qStride + h * HS + i] * kCache[j * W + kv + i];
        s[j] = softcap > 0 ? softcap * Math.tanh((d * scale) / softcap) : d * scale;
        m = Math.max(m, s[j]);
      }
      let z = 0;
      for (let j = first; j < n; j++) z += s[j] = Math.exp(s[j] - m);
      for (let i = 0; i < HS; i++) {
        let acc = 0;
        for (let j = first; j < n; j++) acc += s[j] * vCache[j * W + kv + i];
        out[(t * NH + h) * HS + i] = acc / z;
      }
    }
  }
  return out;
}
