import { f32, type Dispatch, type Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';
import { NORM_CODE, type NormalizeActivations } from './sae_norm';

/** dx (T, C) from d x_in (T, C) and the residual x (T, C): sae_norm's VJP (see shaders/sae_norm_backward.wgsl). */
export function saeNormBackward(
  gpu: Gpu,
  a: { dIn: GPUBuffer; x: GPUBuffer; dx: GPUBuffer; T: number; C: number; center: boolean; norm: NormalizeActivations; scale?: number; label?: string },
): Dispatch {
  const { T, C } = a;
  positiveInts('sae_norm_backward', { T, C });
  for (const k of ['dIn', 'x', 'dx'] as const) holds('sae_norm_backward', k, a[k], T * C);
  return gpu.dispatch(
    gpu.reduceOp('sae_norm_backward'),
    a.label ?? `sae_norm_backward.${a.norm}${a.center ? '.center' : ''}`,
    [gpu.params('sae_norm_backward', [C, 0, f32(a.scale ?? 1), f32(1e-5)]), a.dIn, a.x, a.dx],
    [T],
    { CENTER: a.center ? 1 : 0, NORM: NORM_CODE[a.norm] },
  );
}
