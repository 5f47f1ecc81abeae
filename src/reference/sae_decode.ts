/** x_hat (T, C) = (f @ W_dec + b_dec) * stats[t][0] + stats[t][1]; accumulates in f64. */
export function saeDecodeRef(f: Float32Array, wDec: Float32Array, bDec: Float32Array, stats: Float32Array, T: number, S: number, C: number): Float32Array {
  const out = new Float32Array(T * C);
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) {
      let acc = 0;
      for (let s = 0; s < S; s++) acc += f[t * S + s] * wDec[s * C + c];
      out[t * C + c] = (acc + bDec[c]) * stats[2 * t] + stats[2 * t + 1];
    }
  }
  return out;
}
