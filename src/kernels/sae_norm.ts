import { f32, type Dispatch, type Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

export const NORM_CODE = { none: 0, constant_norm_rescale: 1, layer_norm: 2, expected_average_only_in: 3 } as const;
export type NormalizeActivations = keyof typeof NORM_CODE;

/** x_sae, x_in (T, C) and stats (T, 2) from the residual x (T, C); see shaders/sae_norm.wgsl. */
export function saeNorm(
  gpu: Gpu,
  a: {
    x: GPUBuffer; bDec: GPUBuffer; xSae: GPUBuffer; xIn: GPUBuffer; stats: GPUBuffer; T: number; C: number;
    center: boolean; norm: NormalizeActivations; applyBDec: boolean; scale?: number;
  },
): Dispatch {
  const { T, C } = a;
  positiveInts('sae_norm', { T, C });
  holds('sae_norm', 'x', a.x, T * C);
  holds('sae_norm', 'xIn', a.xIn, T * C);
  holds('sae_norm', 'stats', a.stats, T * 2);
  return gpu.dispatch(
    gpu.reduceOp('sae_norm'),
    `sae_norm.${a.norm}${a.center ? '.center' : ''}`,
    [gpu.params('sae_norm', [C, a.applyBDec ? 1 : 0, f32(a.scale ?? 1), f32(1e-5)]), a.x, a.bDec, a.xSae, a.xIn, a.stats],
    [T],
    { CENTER: a.center ? 1 : 0, NORM: NORM_CODE[a.norm] },
  );
}
