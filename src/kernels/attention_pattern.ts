import { f32, type Dispatch, type Gpu } from '../gpu/gpu';
import type { AttentionHeads } from './attention';
import { holds, positiveInts } from './check';

/**
 * out[outOff ..] (layers, NH, i + 1), block `layer` = the attention weights of the query at chunk row t of qkv (absolute
 * position i = the step's pos0 + t) over cache rows 0..i, after the causal mask, the sliding window
 * and the soft-cap, as attention() weighs them. nCtx bounds i for the size checks.
 */
export function attentionPattern(
  gpu: Gpu,
  a: { qkv: GPUBuffer; kCache: GPUBuffer; out: GPUBuffer; outOff: number; layer: number; t: number; nCtx: number; heads: AttentionHeads; label?: string; threads?: number },
): Dispatch {
  const { heads: hd, nCtx } = a;
  const { NH, NKV, HS } = hd;
  positiveInts('attention_pattern', { NH, NKV, HS, nCtx, qStride: hd.qStride });
  if (NH % NKV) throw new Error(`attention_pattern: ${NH} query heads do not group over ${NKV} KV heads`);
  if (!(Number.isInteger(a.t) && a.t >= 0 && a.t < nCtx)) throw new Error(`attention_pattern: row ${a.t} outside 0..${nCtx - 1}`);
  holds('attention_pattern', 'qkv', a.qkv, a.t * hd.qStride + NH * HS);
  holds('attention_pattern', 'kCache', a.kCache, nCtx * NKV * HS);
  holds('attention_pattern', 'out', a.out, a.outOff + (a.layer + 1) * NH * nCtx);
  const params = gpu.params('attention_pattern', [
    a.t, NH, HS, hd.qStride, NKV * HS, NH / NKV, hd.window ?? 0, a.outOff, f32(hd.scale ?? 1 / Math.sqrt(HS)), f32(hd.softcap ?? 0), a.layer, 0,
  ]);
  return gpu.dispatch(gpu.reduceOp('attention_pattern'), a.label ?? 'attention_pattern', [params, gpu.step, a.qkv, a.kCache, a.out], [NH], {
    WG: a.threads ?? gpu.rowThreads,
  });
}
