import type { Dispatch, Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/** k_cache/v_cache (n_ctx, C) rows pos0..pos0+T = the k and v thirds of qkv (T, 3C). */
export function kvAppend(
  gpu: Gpu,
  a: { qkv: GPUBuffer; kCache: GPUBuffer; vCache: GPUBuffer; T: number; C: number; label?: string },
): Dispatch {
  const { T, C } = a;
  positiveInts('kv_append', { T, C });
  holds('kv_append', 'qkv', a.qkv, T * 3 * C);
  return gpu.dispatch(
    'kv_append',
    a.label ?? 'kv_append',
    [gpu.params('kv_append', [T, C]), gpu.step, a.qkv, a.kCache, a.vCache],
    [Math.ceil(C / 64), T],
  );
}
