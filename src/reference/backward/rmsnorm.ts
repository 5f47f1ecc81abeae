// The VJP of RMSNorm over rows of (T, C), in f64 (the forward: src/reference/rmsnorm.ts).
//   y = x * r * (offset + w),  r = 1 / sqrt(mean(x²) + eps)
//   g = dy * (offset + w),     dx = r g - x r³ mean(g x),   dw = Σ_t dy x r

/** y (T, C), in f64 (rmsnormRef's arithmetic, kept in f64). */
export function rmsnormF64(x: ArrayLike<number>, w: ArrayLike<number>, T: number, C: number, eps: number, offset: number): Float64Array {
  const out = new Float64Array(T * C);
  for (let t = 0; t < T; t++) {
    const r = rowRms(x, t * C, C, eps);
    for (let c = 0; c < C; c++) out[t * C + c] = x[t * C + c] * r * (offset + w[c]);
  }
  return out;
}

/** 1 / sqrt(mean(x[base..base+C]²) + eps). */
export function rowRms(x: ArrayLike<number>, base: number, C: number, eps: number): number {
  let ss = 0;
  for (let c = 0; c < C; c++) ss += x[base + c] ** 2;
  return 1 / Math.sqrt(ss / C + eps);
}

/** dx (T, C) and dw (C) from dy (T, C) and the forward's input x (T, C). */
export function rmsnormBackwardRef(dy: ArrayLike<number>, x: ArrayLike<number>, w: ArrayLike<number>, T: number, C: number, eps: number, offset: number) {
  const dx = new Float64Array(T * C);
  const dw = new Float64Array(C);
  for (let t = 0; t < T; t++) {
    const b = t * C;
    const r = rowRms(x, b, C, eps);
    let m = 0; // mean(g x)
    for (let c = 0; c < C; c++) {
      m += dy[b + c] * (offset + w[c]) * x[b + c];
      dw[c] += dy[b + c] * x[b + c] * r;
    }
    m /= C;
    for (let c = 0; c < C; c++) dx[b + c] = r * dy[b + c] * (offset + w[c]) - x[b + c] * r ** 3 * m;
  }
  return { dx, dw };
}
