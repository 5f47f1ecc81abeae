/** Each token's top K of f (T, S) by (value desc, index asc); entries with value <= 0 become (NONE, 0) unless signed. */
export function saeTopkRef(f: Float32Array, T: number, S: number, K: number, signed = false) {
  const idx = new Uint32Array(T * K).fill(0xffffffff);
  const val = new Float32Array(T * K);
  for (let t = 0; t < T; t++) {
    const order = Array.from({ length: S }, (_, s) => s).sort((a, b) => f[t * S + b] - f[t * S + a] || a - b);
    for (let j = 0; j < Math.min(K, S); j++) {
      const v = f[t * S + order[j]];
      if (v > 0 || signed) {
        idx[t * K + j] = order[j];
        val[t * K + j] = v;
      }
    }
  }
  return { idx, val };
}

/** TopK SAE activation: ReLU of each token's top k pre-activations, 0 elsewhere. */
export function topkMaskRef(p: Float32Array, T: number, S: number, k: number): Float32Array {
  const out = new Float32Array(T * S);
  for (let t = 0; t < T; t++) {
    const order = Array.from({ length: S }, (_, s) => s).sort((a, b) => p[t * S + b] - p[t * S + a] || a - b);
    for (let j = 0; j < Math.min(k, S); j++) out[t * S + order[j]] = Math.max(p[t * S + order[j]], 0);
  }
  return out;
}
