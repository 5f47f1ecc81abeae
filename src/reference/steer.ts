import type { SteeringEntry } from '../kernels/steer';

/** x (T, C) with the steering edit applied (see shaders/steer.wgsl); returns a new array. */
export function steerRef(
  x: Float32Array, f: Float32Array, wDec: Float32Array, stats: Float32Array, entries: SteeringEntry[],
  T: number, C: number, S: number, pos0: number,
): Float32Array {
  const out = x.slice();
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) {
      let delta = 0;
      for (const e of entries) {
        if (pos0 + t < e.from) continue;
        const coef = e.mode === 'clamp' ? (e.value - f[t * S + e.feature]) * stats[2 * t] : e.value;
        delta += coef * wDec[e.feature * C + c];
      }
      out[t * C + c] += delta;
    }
  }
  return out;
}
