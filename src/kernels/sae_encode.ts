import { grid1d, type Dispatch, type Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

export const ARCH_CODE = { standard: 0, jumprelu: 1, topk: 2, gated: 3 } as const;
export type SaeArchitecture = keyof typeof ARCH_CODE;

/** f (T, S) = act(f [+ bias]), in place on the pre-activations; aux (4, S) per shaders/sae_encode.wgsl. */
export function saeEncode(gpu: Gpu, a: { f: GPUBuffer; aux: GPUBuffer; T: number; S: number; arch: SaeArchitecture; addBias?: boolean }): Dispatch {
  const { T, S } = a;
  positiveInts('sae_encode', { T, S });
  holds('sae_encode', 'f', a.f, T * S);
  const { grid, row } = grid1d(T * S);
  return gpu.dispatch('sae_encode', `sae_encode.${a.arch}`, [gpu.params('sae_encode', [T * S, row, S]), a.f, a.aux], grid, {
    ARCH: ARCH_CODE[a.arch],
    ADD_BIAS: a.addBias ? 1 : 0,
  });
}
