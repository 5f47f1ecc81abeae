/** y (T, C) = x / sqrt(mean(x^2) + eps) * (offset + weight), per row; accumulates in f64. */
export function rmsnormRef(x: Float32Array, weight: Float32Array, T: number, C: number, eps: number, offset: 0 | 1): Float32Array {
  const out = new Float32Array(T * C);
  for (let t = 0; t < T; t++) {
    let ss = 0;
    for (let c = 0; c < C; c++) ss += x[t * C + c] ** 2;
    const r = 1 / Math.sqrt(ss / C + eps);
    for (let c = 0; c < C; c++) out[t * C + c] = x[t * C + c] * r * (offset + weight[c]);
  }
  return out;
}
