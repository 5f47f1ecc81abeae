/** Per-row log-sum-exp of x (R, V), in f64: max + log(sum exp(x - max)). */
export function logsumexpRef(x: ArrayLike<number>, R: number, V: number): Float64Array {
  const out = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    let m = -Infinity;
    for (let v = 0; v < V; v++) m = Math.max(m, x[r * V + v]);
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(x[r * V + v] - m);
    out[r] = m + Math.log(s);
  }
  return out;
}
