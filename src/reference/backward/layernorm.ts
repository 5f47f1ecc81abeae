// The VJP of LayerNorm over rows of (T, C), in f64.
//   xhat = (x - mean) * rstd, rstd = 1 / sqrt(var + eps) (biased variance, as torch)
//   y = xhat * w + b
//   dxhat = dy * w
//   dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
//   dw = Σ_t dy * xhat, db = Σ_t dy

/** y (T, C), in f64 (layernormRef's arithmetic, kept in f64). */
export function layernormF64(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>, T: number, C: number, eps = 1e-5): Float64Array {
  const out = new Float64Array(T * C);
  for (let t = 0; t < T; t++) {
    const { mean, rstd } = rowStats(x, t, C, eps);
    for (let c = 0; c < C; c++) out[t * C + c] = (x[t * C + c] - mean) * rstd * w[c] + b[c];
  }
  return out;
}

export function rowStats(x: ArrayLike<number>, t: number, C: number, eps: number): { mean: number; rstd: number } {
  let mean = 0;
  for (let c = 0; c < C; c++) mean += x[t * C + c];
  mean /= C;
  let v = 0;
  for (let c = 0; c < C; c++) v += (x[t * C + c] - mean) ** 2;
  return { mean, rstd: 1 / Math.sqrt(v / C + eps) };
}

/** dx (T, C), dw (C), db (C) from dy (T, C) and the forward's input x (T, C). */
export function layernormBackwardRef(dy: ArrayLike<number>, x: ArrayLike<number>, w: ArrayLike<number>, T: number, C: number, eps = 1e-5) {
  const dx = new Float64Array(T * C);
  const dw = new Float64Array(C);
  const db = new Float64Array(C);
  for (let t = 0; t < T; t++) {
    const { mean, rstd } = rowStats(x, t, C, eps);
    let m1 = 0; // mean(dxhat)
    let m2 = 0; // mean(dxhat * xhat)
    for (let c = 0; c < C; c++) {
      const i = t * C + c;
      const xhat = (x[i] - mean) * rstd;
      m1 += dy[i] * w[c];
      m2 += dy[i] * w[c] * xhat;
      dw[c] += dy[i] * xhat;
      db[c] += dy[i];
    }
    m1 /= C;
    m2 /= C;
    for (let c = 0; c < C; c++) {
      const i = t * C + c;
      dx[i] = rstd * (dy[i] * w[c] - m1 - (x[i] - mean) * rstd * m2);
    }
  }
  return { dx, dw, db };
}
