import type { Dispatch, Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/**
 * Where k and v sit in a qkv row: `stride` floats a row, k at `kOffset`, v right after it, each
 * `width` wide (the cache's row). GPT-2's (T, 3C): { width: C, stride: 3C, kOffset: C }.
 */
export interface QkvLayout {
  width: number;
  stride: number;
  kOffset: number;
}

export const gpt2Qkv = (C: number): QkvLayout => ({ width: C, stride: 3 * C, kOffset: C });

/** k_cache/v_cache (n_ctx, width) rows pos0..pos0+T = the k and v parts of qkv (T, stride). */
export function kvAppend(
  gpu: Gpu,
  a: { qkv: GPUBuffer; kCache: GPUBuffer; vCache: GPUBuffer; T: number; layout: QkvLayout; label?: string },
): Dispatch {
  const { T, layout: l } = a;
  positiveInts('kv_append', { T, width: l.width, stride: l.stride });
  if (l.kOffset + 2 * l.width > l.stride) throw new Error(`kv_append: k at ${l.kOffset} and v (${l.width} wide) overrun a ${l.stride}-wide row`);
  holds('kv_append', 'qkv', a.qkv, T * l.stride);
  return gpu.dispatch(
    'kv_append',
    a.label ?? 'kv_append',
    [gpu.params('kv_append', [T, l.width, l.stride, l.kOffset]), gpu.step, a.qkv, a.kCache, a.vCache],
    [Math.ceil(l.width / 64), T],
  );
}
