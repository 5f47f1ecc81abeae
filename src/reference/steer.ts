import { NO_END, type SteeringEntry } from '../kernels/steer';

/**
 * x (T, C) with the steering edit applied (see shaders/steer.wgsl), entries in order; returns a
 * new array. Plain loops in f64 sums, f32 stores.
 */
export function steerRef(
  x: Float32Array, f: Float32Array, wDec: Float32Array, stats: Float32Array, entries: SteeringEntry[],
  T: number, C: number, S: number, pos0: number,
): Float32Array {
  const out = x.slice();
  for (let t = 0; t < T; t++) {
    const pos = pos0 + t;
    for (const e of entries) {
      if (pos < e.from || pos >= (e.to ?? NO_END)) continue;
      const v = wDec.subarray(e.feature * C, (e.feature + 1) * C);
      let coef = e.value;
      if (e.mode === 'clamp') coef = (e.value - f[t * S + e.feature]) * stats[2 * t];
      else if (e.mode === 'orthogonal' || e.mode === 'cap') {
        let dot = 0;
        let vv = 0;
        for (let c = 0; c < C; c++) {
          dot += out[t * C + c] * v[c];
          vv += v[c] * v[c];
        }
        coef = 0;
        if (vv > 0) {
          if (e.mode === 'orthogonal') coef = ((e.value - 1) * dot) / vv;
          else if (dot / Math.sqrt(vv) > e.value) coef = (e.value - dot / Math.sqrt(vv)) / Math.sqrt(vv);
        }
      }
      if (coef !== 0) for (let c = 0; c < C; c++) out[t * C + c] += coef * v[c];
    }
  }
  return out;
}
