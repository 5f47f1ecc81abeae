import { f32, type Dispatch, type Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/**
 * out (T, C) = causal attention of the queries in qkv (T, 3C) over cache rows 0..pos0+t.
 * nCtx sizes the scores array in workgroup memory (override MAX_CTX).
 */
export function attention(
  gpu: Gpu,
  a: { qkv: GPUBuffer; kCache: GPUBuffer; vCache: GPUBuffer; out: GPUBuffer; T: number; C: number; NH: number; nCtx: number; label?: string; threads?: number },
): Dispatch {
  const { T, C, NH, nCtx } = a;
  positiveInts('attention', { T, C, NH, nCtx });
  if (C % NH) throw new Error(`attention: C=${C} is not divisible by NH=${NH}`);
  const HS = C / NH;
  if (HS > 256) throw new Error(`attention: head size ${HS} > 256 is not supported`);
  if (nCtx * 4 > 28 * 1024) throw new Error(`attention: context ${nCtx} does not fit workgroup memory`);
  holds('attention', 'kCache', a.kCache, nCtx * C);
  holds('attention', 'out', a.out, T * C);
  return gpu.dispatch(
    gpu.reduceOp('attention'),
    a.label ?? 'attention',
    [gpu.params('attention', [T, C, NH, HS, f32(1 / Math.sqrt(HS)), 0, 0, 0]), gpu.step, a.qkv, a.kCache, a.vCache, a.out],
    [T, NH],
    { MAX_CTX: nCtx, WG: a.threads ?? gpu.rowThreads },
  );
}
