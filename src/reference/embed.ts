/** out (T, C) = wte[ids[t]] + wpe[pos0 + t]. */
export function embedRef(ids: ArrayLike<number>, wte: Float32Array, wpe: Float32Array, C: number, pos0 = 0): Float32Array {
  const T = ids.length;
  const out = new Float32Array(T * C);
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) out[t * C + c] = wte[ids[t] * C + c] + wpe[(pos0 + t) * C + c];
  }
  return out;
}
