import type { AttentionHeads } from '../kernels/attention';
import { attentionPatternRef } from './attention_pattern';

/**
 * Causal multi-head attention: the query at chunk row t (absolute position i = pos0 + t, head h at
 * qkv[t * qStride + h * HS]) attends to cache rows max(0, i - window + 1)..i of kCache/vCache
 * (n_ctx, NKV * HS), through KV head h / (NH / NKV). Scores are scaled, then soft-capped when
 * asked. Returns (T, NH * HS).
 */
export function attentionRef(qkv: Float32Array, kCache: Float32Array, vCache: Float32Array, T: number, pos0: number, heads: AttentionHeads): Float32Array {
  const { NH, NKV, HS } = heads;
  const W = NKV * HS;
  const out = new Float32Array(T * NH * HS);
  for (let t = 0; t < T; t++) {
    const n = pos0 + t + 1;
    // the weights (NH, n), zero before a sliding window
    const p = attentionPatternRef(qkv, kCache, t, pos0, heads);
    for (let h = 0; h < NH; h++) {
      const kv = Math.floor(h / (NH / NKV)) * HS;
      for (let i = 0; i < HS; i++) {
        let acc = 0;
        for (let j = 0; j < n; j++) acc += p[h * n + j] * vCache[j * W + kv + i];
        out[(t * NH + h) * HS + i] = acc;
      }
    }
  }
  return out;
}
