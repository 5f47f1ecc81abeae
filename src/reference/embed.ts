/** out (T, C) = wte[ids[t]] * scale + wpe[pos0 + t] (no wpe: rotary models). */
export function embedRef(ids: ArrayLike<number>, wte: Float32Array, wpe: Float32Array | null, C: number, pos0 = 0, scale = 1): Float32Array {
  const T = ids.length;
  const out = new Float32Array(T * C);
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) out[t * C + c] = Math.fround(wte[ids[t] * C + c] * Math.fround(scale)) + (wpe ? wpe[(pos0 + t) * C + c] : 0);
  }
  return out;
}
