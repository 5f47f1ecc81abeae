import { rowCosineRef } from './row_cosine';

type Ranked = { id: number; value: number };

/** Every index ranked by (value desc, id asc), or (value asc, id asc); the first k, without `skip`. */
function ranked(values: ArrayLike<number>, k: number, largest: boolean, skip = -1): Ranked[] {
  const ids = Array.from({ length: values.length }, (_, i) => i).filter((i) => i !== skip);
  ids.sort((a, b) => (largest ? values[b] - values[a] : values[a] - values[b]) || a - b);
  return ids.slice(0, k).map((id) => ({ id, value: values[id] }));
}

/**
 * A feature's logits and neighbours from the weights (see src/sae/feature_weights.ts):
 * logit[v] = W_U[v] . W_dec[i] / |W_dec[i]| over wU (V, C), and the decoder cosine with every
 * other row of wDec (S, C). Accumulates in f64. A zero decoder row gives empty lists.
 */
export function featureWeightsRef(wDec: Float32Array, wU: Float32Array, S: number, C: number, V: number, feature: number, k: number) {
  let n2 = 0;
  for (let c = 0; c < C; c++) n2 += wDec[feature * C + c] ** 2;
  const norm = Math.sqrt(n2);
  if (norm === 0) return { norm, logits: new Float64Array(V), top: [], bottom: [], neighbours: [] };
  const logits = new Float64Array(V);
  for (let v = 0; v < V; v++) {
    let acc = 0;
    for (let c = 0; c < C; c++) acc += wU[v * C + c] * wDec[feature * C + c];
    logits[v] = acc / norm;
  }
  const cos = rowCosineRef(wDec, S, C, feature);
  return { norm, logits, top: ranked(logits, k, true), bottom: ranked(logits, k, false), neighbours: ranked(cos, k, true, feature) };
}
