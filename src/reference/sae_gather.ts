/** (T, n) = f (T, S)[:, ids]. */
export function saeGatherRef(f: Float32Array, ids: number[], T: number, S: number): Float32Array {
  const out = new Float32Array(T * ids.length);
  for (let t = 0; t < T; t++) ids.forEach((id, j) => (out[t * ids.length + j] = f[t * S + id]));
  return out;
}
