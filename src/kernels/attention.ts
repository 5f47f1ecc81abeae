import { f32, type Dispatch, type Gpu } from '../gpu/gpu';
import type { Constants } from '../gpu/pipelines';
import { holds, positiveInts } from './check';

/** Keys per workgroup when a GPU decodes: a 1024-token context keeps 16 workgroups per head busy. */
export const DECODE_SPLIT_KEYS = 64;

/**
 * out (T, C) = causal attention of the queries in qkv (T, 3C) over cache rows 0..pos0+t.
 * nCtx sizes the scores array in workgroup memory (override MAX_CTX). With splitKeys (by default
 * on GPUs at T = 1), the keys are cut in chunks across workgroups and attention_combine merges
 * their partial softmaxes (flash-decoding), so a long context does not rest on NH workgroups.
 */
export function attention(
  gpu: Gpu,
  a: {
    qkv: GPUBuffer; kCache: GPUBuffer; vCache: GPUBuffer; out: GPUBuffer; T: number; C: number; NH: number; nCtx: number;
    label?: string; threads?: number; splitKeys?: number;
  },
): Dispatch[] {
  const { T, C, NH, nCtx } = a;
  positiveInts('attention', { T, C, NH, nCtx });
  if (C % NH) throw new Error(`attention: C=${C} is not divisible by NH=${NH}`);
  const HS = C / NH;
  if (HS > 256) throw new Error(`attention: head size ${HS} > 256 is not supported`);
  if (nCtx * 4 > 28 * 1024) throw new Error(`attention: context ${nCtx} does not fit workgroup memory`);
  holds('attention', 'kCache', a.kCache, nCtx * C);
  holds('attention', 'out', a.out, T * C);
  const splitKeys = a.splitKeys ?? defaultSplitKeys(gpu, T);
  const params = gpu.params('attention', [T, C, NH, HS, f32(1 / Math.sqrt(HS)), 0, 0, 0]);
  const label = a.label ?? 'attention';
  const [main, combine] = attentionPipelines(gpu, nCtx, splitKeys, a.threads);
  if (!combine) return [gpu.dispatch(main[0], label, [params, gpu.step, a.qkv, a.kCache, a.vCache, a.out], [T, NH], main[1])];
  // Splits cover the whole context; those past the current length find no keys and weigh nothing.
  const splits = Math.ceil(nCtx / splitKeys);
  const partials = gpu.partials(T * NH * splits * (HS + 2) * 4);
  return [
    gpu.dispatch(main[0], label, [params, gpu.step, a.qkv, a.kCache, a.vCache, partials], [T, NH, splits], main[1]),
    gpu.dispatch(combine[0], `${label}.combine`, [gpu.params('attention_combine', [T, C, NH, HS, splits, 0, 0, 0]), partials, a.out], [T, NH], combine[1]),
  ];
}

const defaultSplitKeys = (gpu: Gpu, T: number) => (gpu.adapterClass === 'gpu' && T === 1 ? DECODE_SPLIT_KEYS : 0);

/** The pipelines (op, override constants) an attention call runs: one, or the key-split one and its combine. */
export function attentionPipelines(gpu: Gpu, nCtx: number, splitKeys: number, threads = gpu.rowThreads): Array<[string, Constants]> {
  const op = gpu.reduceOp('attention');
  if (!splitKeys) return [[op, { MAX_CTX: nCtx, WG: threads }]];
  return [[op, { MAX_CTX: splitKeys, WG: threads, SPLIT_KEYS: splitKeys }], ['attention_combine', {}]];
}

/** What a model's forward runs for prefill and for decode. */
export const attentionWarmList = (gpu: Gpu, nCtx: number): Array<[string, Constants]> => [
  ...attentionPipelines(gpu, nCtx, defaultSplitKeys(gpu, 2)),
  ...attentionPipelines(gpu, nCtx, defaultSplitKeys(gpu, 1)),
];
