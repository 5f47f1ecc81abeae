/** out (S) = w[s] . w[q] / max(|w[s]| |w[q]|, 1e-8) over the rows of w (S, C); accumulates in f64. */
export function rowCosineRef(w: Float32Array, S: number, C: number, q: number): Float32Array {
  const out = new Float32Array(S);
  let qq = 0;
  for (let c = 0; c < C; c++) qq += w[q * C + c] * w[q * C + c];
  for (let s = 0; s < S; s++) {
    let dot = 0;
    let ww = 0;
    for (let c = 0; c < C; c++) {
      dot += w[s * C + c] * w[q * C + c];
      ww += w[s * C + c] * w[s * C + c];
    }
    out[s] = dot / Math.max(Math.sqrt(ww) * Math.sqrt(qq), 1e-8);
  }
  return out;
}
