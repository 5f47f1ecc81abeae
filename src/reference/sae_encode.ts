import type { SaeArchitecture } from '../kernels/sae_encode';

/** The encoder nonlinearity on pre-activations p (T, S); aux (3, S) as in shaders/sae_encode.wgsl. */
export function saeEncodeRef(p: Float32Array, aux: Float32Array, S: number, arch: SaeArchitecture): Float32Array {
  return p.map((v, i) => {
    const s = i % S;
    if (arch === 'standard') return Math.max(v, 0);
    if (arch === 'jumprelu') return v > aux[s] ? Math.max(v, 0) : 0;
    if (arch === 'gated') return v > 0 ? Math.max((v - aux[s]) * Math.exp(aux[S + s]) + aux[2 * S + s], 0) : 0;
    return v;
  });
}
