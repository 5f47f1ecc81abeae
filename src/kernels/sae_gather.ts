import type { Dispatch, Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/** out (T, n) = f (T, S)[:, ids (n)]. */
export function saeGather(gpu: Gpu, a: { f: GPUBuffer; ids: GPUBuffer; out: GPUBuffer; T: number; S: number; n: number }): Dispatch {
  const { T, S, n } = a;
  positiveInts('sae_gather', { T, S, n });
  holds('sae_gather', 'f', a.f, T * S);
  holds('sae_gather', 'out', a.out, T * n);
  return gpu.dispatch('sae_gather', 'sae_gather', [gpu.params('sae_gather', [T, S, n]), a.f, a.ids, a.out], [Math.ceil(n / 64), T]);
}
