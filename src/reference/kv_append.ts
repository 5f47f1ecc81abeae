/** Writes the k and v thirds of qkv (T, 3C) into rows pos0.. of the caches (n_ctx, C), in place. */
export function kvAppendRef(qkv: Float32Array, kCache: Float32Array, vCache: Float32Array, T: number, C: number, pos0: number): void {
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) {
      kCache[(pos0 + t) * C + c] = qkv[t * 3 * C + C + c];
      vCache[(pos0 + t) * C + c] = qkv[t * 3 * C + 2 * C + c];
    }
  }
}
