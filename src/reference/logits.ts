/** out (R, V) = x[row0 .. row0+R] (T, C) @ wte (V, C)^T, soft-capped when softcap > 0. */
export function logitsRef(x: Float32Array, wte: Float32Array, row0: number, R: number, C: number, V: number, softcap = 0): Float32Array {
  const out = new Float32Array(R * V);
  for (let r = 0; r < R; r++) {
    for (let v = 0; v < V; v++) {
      let acc = 0;
      for (let c = 0; c < C; c++) acc += x[(row0 + r) * C + c] * wte[v * C + c];
      out[r * V + v] = softcap > 0 ? softcap * Math.tanh(acc / softcap) : acc;
    }
  }
  return out;
}
