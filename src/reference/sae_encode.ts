import type { SaeArchitecture } from '../kernels/sae_encode';

/** The encoder nonlinearity on pre-activations p (T, S); aux (4, S) as in shaders/sae_encode.wgsl. */
export function saeEncodeRef(p: Float32Array, aux: Float32Array, S: number, arch: SaeArchitecture, addBias = false): Float32Array {
  return p.map((raw, i) => {
    const s = i % S;
    const v = raw + (addBias ? aux[3 * S + s] : 0);
    if (arch === 'standard') return Math.max(v, 0);
    if (arch === 'jumprelu') return v > aux[s] ? Math.max(v, 0) : 0;
    if (arch === 'gated') return v > 0 ? Math.max((v - aux[s]) * Math.exp(aux[S + s]) + aux[2 * S + s], 0) : 0;
    return v;
  });
}
