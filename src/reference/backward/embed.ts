// The VJP of the GPT-2 embedding x (T, C) = wte[ids[t]] + wpe[t]: a scatter-add into wte's rows
// (a token that occurs twice collects both rows' gradients) and a copy into wpe's first T rows.

export function embedF64(ids: ArrayLike<number>, wte: ArrayLike<number>, wpe: ArrayLike<number>, C: number): Float64Array {
  const out = new Float64Array(ids.length * C);
  for (let t = 0; t < ids.length; t++) for (let c = 0; c < C; c++) out[t * C + c] = wte[ids[t] * C + c] + wpe[t * C + c];
  return out;
}

/** dWte (V, C) and dWpe (T, C) from dx (T, C). */
export function embedBackwardRef(dx: ArrayLike<number>, ids: ArrayLike<number>, V: number, C: number): { dWte: Float64Array; dWpe: Float64Array } {
  const T = ids.length;
  const dWte = new Float64Array(V * C);
  const dWpe = new Float64Array(T * C);
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) {
      dWte[ids[t] * C + c] += dx[t * C + c];
      dWpe[t * C + c] = dx[t * C + c];
    }
  }
  return { dWte, dWpe };
}
