import type { Dispatch, Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

export const MAX_TOPK = 64;
export const NO_FEATURE = 0xffffffff;

/**
 * idx/val (T, K): each token's top-K (K <= 64) features of f (T, S), value > 0, sorted.
 * signed: keep the top K whatever their sign (the logit lens's top logits), no value > 0 filter.
 * mask: the TopK-SAE activation instead, in place on f (any K), writing no idx/val.
 */
export function saeTopk(
  gpu: Gpu,
  a: { f: GPUBuffer; idx: GPUBuffer; val: GPUBuffer; T: number; S: number; K: number; mask?: boolean; signed?: boolean },
): Dispatch {
  const { T, S, K } = a;
  positiveInts('sae_topk', { T, S, K });
  holds('sae_topk', 'f', a.f, T * S);
  if (!a.mask) {
    if (K > MAX_TOPK) throw new Error(`sae_topk: K=${K} > ${MAX_TOPK}`);
    holds('sae_topk', 'idx', a.idx, T * K);
    holds('sae_topk', 'val', a.val, T * K);
  }
  return gpu.dispatch('sae_topk', a.mask ? 'sae_topk.mask' : 'sae_topk', [gpu.params('sae_topk', [S, K]), a.f, a.idx, a.val], [T], {
    MASK: a.mask ? 1 : 0,
    ...(a.signed ? { SIGNED: 1 } : {}),
  });
}
