import type { Dispatch, Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/** out (T, 2) = (|x - x_hat|, |x|) per token. */
export function saeError(gpu: Gpu, a: { x: GPUBuffer; xHat: GPUBuffer; out: GPUBuffer; T: number; C: number }): Dispatch {
  const { T, C } = a;
  positiveInts('sae_error', { T, C });
  holds('sae_error', 'x', a.x, T * C);
  holds('sae_error', 'xHat', a.xHat, T * C);
  holds('sae_error', 'out', a.out, T * 2);
  return gpu.dispatch('sae_error', 'sae_error', [gpu.params('sae_error', [C]), a.x, a.xHat, a.out], [T]);
}
