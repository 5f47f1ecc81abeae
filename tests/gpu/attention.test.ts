import { describe, it } from 'vitest';
import { attention, gpt2Heads, type AttentionHeads } from '../../src/kernels/attention';
import { kvAppend, type QkvLayout } from '../../src/kernels/kv_append';
import { attentionRef } from '../../src/reference/attention';
import { kvAppendRef } from '../../src/reference/kv_append';
import { Rng } from '../../src/model/rng';
import { expectClose } from '../util';
import { empty, getGpu, read, upload } from './gpu';

interface Case { T: number; pos0: number; nCtx: number; threads: number; heads: AttentionHeads; qkvScale?: number }

/** A grouped-query decoder's heads in a fused (T, (NH + 2 NKV) HS) qkv row. */
function gqa(NH: number, NKV: number, HS: number, extra: Partial<AttentionHeads> = {}): AttentionHeads {
  return { NH, NKV, HS, qStride: (NH + 2 * NKV) * HS, ...extra };
}
const layoutOf = (h: AttentionHeads): QkvLayout => ({ width: h.NKV * h.HS, stride: h.qStride, kOffset: h.NH * h.HS });

const cases: Case[] = [
  // GPT-2: prefill (pos0 = 0), decode (T = 1 after a filled cache), a chunk after a prefix; odd
  // head sizes (NH=3 on C=96 gives HS=32; C=75, NH=3 gives HS=25) and T above the 64-thread group.
  // threads per (query, head): 64 as on GPUs, 4 as on CPU adapters, and odd counts.
  { T: 1, pos0: 0, nCtx: 16, threads: 64, heads: gpt2Heads(96, 3) },
  { T: 7, pos0: 0, nCtx: 16, threads: 4, heads: gpt2Heads(96, 3) },
  { T: 1, pos0: 40, nCtx: 64, threads: 4, heads: gpt2Heads(75, 3) },
  { T: 5, pos0: 11, nCtx: 32, threads: 64, heads: gpt2Heads(64, 4) },
  { T: 70, pos0: 3, nCtx: 128, threads: 4, heads: gpt2Heads(48, 2) },
  { T: 9, pos0: 30, nCtx: 64, threads: 7, heads: gpt2Heads(96, 3) },
  // grouped-query (Gemma 3's 3 query heads on 1 KV head of 32; 8 on 2), a sliding window shorter
  // than the context (5, as the Gemma fixture; 1 = only itself), Gemma 2's soft-cap with scores
  // large enough to bend, and a query_pre_attn_scalar-style scale
  { T: 14, pos0: 0, nCtx: 32, threads: 4, heads: gqa(3, 1, 32, { window: 5 }) },
  { T: 1, pos0: 20, nCtx: 32, threads: 64, heads: gqa(3, 1, 32, { window: 5 }) },
  { T: 6, pos0: 9, nCtx: 40, threads: 7, heads: gqa(8, 2, 20, { window: 1 }) },
  { T: 4, pos0: 13, nCtx: 24, threads: 64, heads: gqa(4, 2, 36, { softcap: 5, scale: 0.3 }), qkvScale: 3 },
  { T: 1, pos0: 30, nCtx: 40, threads: 4, heads: gqa(4, 4, 16, { softcap: 5, window: 12 }), qkvScale: 3 },
];

// Softmax reductions through workgroup memory, and with subgroup operations (the ":sg" variant).
describe.each([false, true])('kv_append + attention, subgroups %s', (subgroups) => {
  for (const { T, pos0, nCtx, threads, heads, qkvScale = 1 } of cases) {
    const { NH, NKV, HS } = heads;
    const W = NKV * HS;
    const name = `T=${T} NH=${NH} NKV=${NKV} HS=${HS} pos0=${pos0}${heads.window ? ` window ${heads.window}` : ''}${heads.softcap ? ` softcap ${heads.softcap}` : ''}, ${threads} threads`;
    // splitKeys: one workgroup per (query, head), or keys in chunks of 5 (not dividing n_ctx: the
    // last split is short, and at small pos0 most splits are empty) or 16, merged by attention_combine
    for (const splitKeys of [0, 5, 16]) {
      it(`${name}, split ${splitKeys || 'none'}`, async () => {
        const g = await getGpu(undefined, subgroups);
        const rng = new Rng(T * 17 + NH * 5 + HS + pos0 + (heads.window ?? 0));
        const qkv = rng.array(T * heads.qStride, qkvScale);
        const kCache = new Float32Array(nCtx * W);
        const vCache = new Float32Array(nCtx * W);
        kCache.set(rng.array(pos0 * W, qkvScale)); // the earlier tokens' keys and values
        vCache.set(rng.array(pos0 * W));
        const kBuf = upload(g, kCache);
        const vBuf = upload(g, vCache);
        const out = empty(g, T * NH * HS);
        const qkvBuf = upload(g, qkv);
        const layout = layoutOf(heads); // for GPT-2 this is gpt2Qkv(C)
        g.writeStep(pos0);
        g.run([
          kvAppend(g, { qkv: qkvBuf, kCache: kBuf, vCache: vBuf, T, layout }),
          ...attention(g, { qkv: qkvBuf, kCache: kBuf, vCache: vBuf, out, T, nCtx, heads, threads, splitKeys }),
        ]);
        kvAppendRef(qkv, kCache, vCache, T, 0, pos0, layout);
        expectClose('k_cache', await read(g, kBuf, nCtx * W), kCache);
        expectClose('v_cache', await read(g, vBuf, nCtx * W), vCache);
        expectClose('attention', await read(g, out, T * NH * HS), attentionRef(qkv, kCache, vCache, T, pos0, heads));
      });
    }
  }
});
