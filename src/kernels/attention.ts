import { f32, type Dispatch, type Gpu } from '../gpu/gpu';
import type { Constants } from '../gpu/pipelines';
import { holds, positiveInts } from './check';

/** Keys per workgroup when a GPU decodes: a 1024-token context keeps 16 workgroups per head busy. */
export const DECODE_SPLIT_KEYS = 64;

/**
 * The heads of an attention call. NKV divides NH (grouped-query: query head h reads KV head
 * h / (NH / NKV)); q of token t, head h is qkv[t * qStride + h * HS]. window > 0: each query sees
 * its last `window` positions only (sliding window). softcap > 0: scores pass through
 * softcap * tanh(s / softcap) (Gemma 2). scale defaults to HS^-0.5.
 */
export interface AttentionHeads {
  NH: number;
  NKV: number;
  HS: number;
  qStride: number;
  window?: number;
  scale?: number;
  softcap?: number;
}

/** GPT-2's heads: NH heads of C / NH in a (T, 3C) qkv, no window, no soft-cap. */
export const gpt2Heads = (C: number, NH: number): AttentionHeads => ({ NH, NKV: NH, HS: C / NH, qStride: 3 * C });

/**
 * out (T, NH * HS) = causal attention of the queries in qkv over cache rows (n_ctx, NKV * HS).
 * nCtx sizes the scores array in workgroup memory (override MAX_CTX). With splitKeys (by default
 * on GPUs at T = 1), the keys are cut in chunks across workgroups and attention_combine merges
 * their partial softmaxes (flash-decoding), so a long context does not rest on NH workgroups.
 */
export function attention(
  gpu: Gpu,
  a: {
    qkv: GPUBuffer; kCache: GPUBuffer; vCache: GPUBuffer; out: GPUBuffer; T: number; nCtx: number; heads: AttentionHeads;
    label?: string; threads?: number; splitKeys?: number;
  },
): Dispatch[] {
  const { T, nCtx, heads: hd } = a;
  const { NH, NKV, HS } = hd;
  positiveInts('attention', { T, NH, NKV, HS, nCtx, qStride: hd.qStride });
  if (NH % NKV) throw new Error(`attention: ${NH} query heads do not group over ${NKV} KV heads`);
  if (HS > 256) throw new Error(`attention: head size ${HS} > 256 is not supported`);
  if (nCtx * 4 > 28 * 1024) throw new Error(`attention: context ${nCtx} does not fit workgroup memory`);
  holds('attention', 'qkv', a.qkv, (T - 1) * hd.qStride + NH * HS);
  holds('attention', 'kCache', a.kCache, nCtx * NKV * HS);
  holds('attention', 'out', a.out, T * NH * HS);
  const splitKeys = a.splitKeys ?? defaultSplitKeys(gpu, T);
  const params = gpu.params('attention', [
    T, NH, HS, hd.qStride, NKV * HS, NH / NKV, hd.window ?? 0, 0, f32(hd.scale ?? 1 / Math.sqrt(HS)), f32(hd.softcap ?? 0), 0, 0,
  ]);
  const label = a.label ?? 'attention';
  const [main, combine] = attentionPipelines(gpu, nCtx, splitKeys, a.threads);
  if (!combine) return [gpu.dispatch(main[0], label, [params, gpu.step, a.qkv, a.kCache, a.vCache, a.out], [T, NH], main[1])];
  // Splits cover the whole context; those past the current length find no keys and weigh nothing.
  const splits = Math.ceil(nCtx / splitKeys);
  const partials = gpu.partials(T * NH * splits * (HS + 2) * 4);
  return [
    gpu.dispatch(main[0], label, [params, gpu.step, a.qkv, a.kCache, a.vCache, partials], [T, NH, splits], main[1]),
    gpu.dispatch(combine[0], `${label}.combine`, [gpu.params('attention_combine', [T, NH * HS, NH, HS, splits, 0, 0, 0]), partials, a.out], [T, NH], combine[1]),
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
