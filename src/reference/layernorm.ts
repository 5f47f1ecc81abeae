/** out (T, C) = (x - mean) / sqrt(var + eps) * weight + bias, per row; accumulates in f64. */
export function layernormRef(x: Float32Array, weight: Float32Array, bias: Float32Array, T: number, C: number, eps = 1e-5): Float32Array {
  const out = new Float32Array(T * C);
  for (let t = 0; t < T; t++) {
    let mean = 0;
    for (let c = 0; c < C; c++) mean += x[t * C + c];
    mean /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[t * C + c] - mean) ** 2;
    const rstd = 1 / Math.sqrt(v / C + eps);
    for (let c = 0; c < C; c++) out[t * C + c] = (x[t * C + c] - mean) * rstd * weight[c] + bias[c];
  }
  return out;
}
