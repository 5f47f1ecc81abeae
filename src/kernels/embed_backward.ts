import type { Dispatch, Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/**
 * dwte (V, C): row ids[t] += dx[t] for every t (a scatter-add; repeated tokens add). Writes only
 * the rows of tokens in ids: zero dwte first. (wpe's gradient is dx itself.)
 */
export function embedBackward(gpu: Gpu, a: { ids: GPUBuffer; dx: GPUBuffer; dwte: GPUBuffer; T: number; C: number; V: number; label?: string }): Dispatch {
  const { T, C, V } = a;
  positiveInts('embed_backward', { T, C, V });
  holds('embed_backward', 'ids', a.ids, T);
  holds('embed_backward', 'dx', a.dx, T * C);
  holds('embed_backward', 'dwte', a.dwte, V * C);
  return gpu.dispatch('embed_backward', a.label ?? 'embed_backward', [gpu.params('embed_backward', [T, C, 0, 0]), a.ids, a.dx, a.dwte], [Math.ceil(C / 64), T]);
}
