import type { NormalizeActivations } from '../kernels/sae_norm';

/** CPU twin of shaders/sae_norm.wgsl; accumulates in f64. */
export function saeNormRef(
  x: Float32Array, bDec: Float32Array, T: number, C: number,
  o: { center: boolean; norm: NormalizeActivations; applyBDec: boolean; scale?: number },
) {
  const xSae = new Float32Array(T * C);
  const xIn = new Float32Array(T * C);
  const stats = new Float32Array(2 * T);
  for (let t = 0; t < T; t++) {
    const row = Array.from(x.subarray(t * C, (t + 1) * C));
    const shift = o.center ? row.reduce((a, b) => a + b, 0) / C : 0;
    const xs = row.map((v) => v - shift);
    let mu = 0;
    let mul = 1;
    let st = [1, 0];
    if (o.norm === 'constant_norm_rescale') {
      mul = Math.sqrt(C) / Math.sqrt(xs.reduce((a, v) => a + v * v, 0));
      st = [1 / mul, 0];
    } else if (o.norm === 'layer_norm') {
      mu = xs.reduce((a, b) => a + b, 0) / C;
      const std = Math.sqrt(xs.reduce((a, v) => a + (v - mu) ** 2, 0) / (C - 1));
      mul = 1 / (std + 1e-5);
      st = [std, mu];
    } else if (o.norm === 'expected_average_only_in') {
      mul = o.scale ?? 1;
      st = [1 / mul, 0];
    }
    for (let c = 0; c < C; c++) {
      xSae[t * C + c] = xs[c];
      xIn[t * C + c] = (xs[c] - mu) * mul - (o.applyBDec ? bDec[c] : 0);
    }
    stats.set(st, 2 * t);
  }
  return { xSae, xIn, stats };
}
