// The VJP of an SAE's encoder, d x (T, C) from d acts (T, S): the nonlinearity's mask
// (sae_encode_backward.wgsl), d x_in = d p W_encᵀ (matmul_backward_input: W_enc is stored
// [d_in, d_sae] = (C, S), the [in, out] layout it reads), then the normalisation's VJP
// (sae_norm_backward.wgsl).
import { grid1d, type Dispatch, type Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';
import { matmulBackwardInput } from './matmul_backward';
import { ARCH_CODE, type SaeArchitecture } from './sae_encode';
import type { NormalizeActivations } from './sae_norm';
import { saeNormBackward } from './sae_norm_backward';

/** dp (T, S) = dActs where the forward's activations f (T, S) are > 0 (times exp(r_mag) when gated), else 0; aux (4, S) as sae_encode's. */
export function saeEncodeBackward(gpu: Gpu, a: { dActs: GPUBuffer; f: GPUBuffer; aux: GPUBuffer; dp: GPUBuffer; T: number; S: number; arch: SaeArchitecture }): Dispatch {
  const { T, S } = a;
  positiveInts('sae_encode_backward', { T, S });
  for (const k of ['dActs', 'f', 'dp'] as const) holds('sae_encode_backward', k, a[k], T * S);
  holds('sae_encode_backward', 'aux', a.aux, 4 * S);
  const { grid, row } = grid1d(T * S);
  return gpu.dispatch('sae_encode_backward', `sae_encode_backward.${a.arch}`, [gpu.params('sae_encode_backward', [T * S, row, S, 0]), a.dActs, a.f, a.aux, a.dp], grid, {
    ARCH: ARCH_CODE[a.arch],
  });
}

/**
 * dx (T, C) from dActs (T, S), the forward's activations f (T, S) and the residual x (T, C) at
 * the SAE's hook. dp (T, S) and dIn (T, C) are scratch. wEnc (C, S), f32.
 */
export function saeEncodeVjp(
  gpu: Gpu,
  a: {
    dActs: GPUBuffer; f: GPUBuffer; aux: GPUBuffer; wEnc: GPUBuffer; x: GPUBuffer; dp: GPUBuffer; dIn: GPUBuffer; dx: GPUBuffer;
    T: number; C: number; S: number; arch: SaeArchitecture; center: boolean; norm: NormalizeActivations; scale?: number;
  },
): Dispatch[] {
  const { T, C, S } = a;
  return [
    saeEncodeBackward(gpu, { dActs: a.dActs, f: a.f, aux: a.aux, dp: a.dp, T, S, arch: a.arch }),
    matmulBackwardInput(gpu, { dy: a.dp, b: a.wEnc, da: a.dIn, M: T, N: S, K: C, label: 'sae d x_in = d p W_encᵀ' }),
    saeNormBackward(gpu, { dIn: a.dIn, x: a.x, dx: a.dx, T, C, center: a.center, norm: a.norm, scale: a.scale }),
  ];
}
