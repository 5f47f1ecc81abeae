/** (T, 2): (|x - x_hat|, |x|) per token. */
export function saeErrorRef(x: Float32Array, xHat: Float32Array, T: number, C: number): Float32Array {
  const out = new Float32Array(2 * T);
  for (let t = 0; t < T; t++) {
    let e = 0;
    let n = 0;
    for (let c = 0; c < C; c++) {
      e += (x[t * C + c] - xHat[t * C + c]) ** 2;
      n += x[t * C + c] ** 2;
    }
    out[2 * t] = Math.sqrt(e);
    out[2 * t + 1] = Math.sqrt(n);
  }
  return out;
}
