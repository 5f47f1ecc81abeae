// attention_pattern against its CPU twin: GPT-2 heads, grouped-query heads, a sliding window
// shorter than the keys (weights 0 before it), Gemma 2's soft-cap with scores that bend, a first
// position (one key) and a query row inside a chunk after a cached prefix; every layer block
// lands at its offset, and each head's weights sum to 1.
import { describe, expect, it } from 'vitest';
import { attentionPattern } from '../../src/kernels/attention_pattern';
import { gpt2Heads, type AttentionHeads } from '../../src/kernels/attention';
import { attentionPatternRef } from '../../src/reference/attention_pattern';
import { Rng } from '../../src/model/rng';
import { expectClose } from '../util';
import { empty, getGpu, read, REDUCE_VARIANTS, upload } from './gpu';

const gqa = (NH: number, NKV: number, HS: number, extra: Partial<AttentionHeads> = {}): AttentionHeads => ({ NH, NKV, HS, qStride: (NH + 2 * NKV) * HS, ...extra });

interface Case { T: number; t: number; pos0: number; nCtx: number; heads: AttentionHeads; scale?: number }
const cases: Case[] = [
  { T: 1, t: 0, pos0: 0, nCtx: 8, heads: gpt2Heads(120, 5) }, // position 0: one key, weight 1
  { T: 14, t: 13, pos0: 0, nCtx: 16, heads: gpt2Heads(96, 3) },
  { T: 5, t: 2, pos0: 70, nCtx: 128, heads: gpt2Heads(75, 3) }, // more keys than threads
  { T: 14, t: 12, pos0: 0, nCtx: 32, heads: gqa(3, 1, 32, { window: 5 }) },
  { T: 3, t: 2, pos0: 9, nCtx: 40, heads: gqa(8, 2, 20, { window: 1 }) },
  { T: 4, t: 3, pos0: 13, nCtx: 24, heads: gqa(4, 2, 36, { softcap: 5, scale: 0.3 }), scale: 3 },
];

describe.each(REDUCE_VARIANTS)('attention_pattern, %s launch, subgroups %s', (cls, subgroups) => {
  for (const { T, t, pos0, nCtx, heads, scale = 1 } of cases) {
    const { NH, NKV, HS } = heads;
    it(`row ${t} of T=${T} after ${pos0}, NH=${NH} NKV=${NKV} HS=${HS}${heads.window ? ` window ${heads.window}` : ''}${heads.softcap ? ` softcap ${heads.softcap}` : ''}`, async () => {
      const g = await getGpu(cls, subgroups);
      const rng = new Rng(T * 31 + t + pos0 + NH);
      const qkv = rng.array(T * heads.qStride, scale);
      const kCache = rng.array(nCtx * NKV * HS, scale);
      const n = pos0 + t + 1;
      const layers = 3;
      const out = empty(g, 7 + layers * NH * nCtx); // blocks at offset 7, each (NH, n)
      g.writeStep(pos0);
      const [qBuf, kBuf] = [upload(g, qkv), upload(g, kCache)];
      g.run(Array.from({ length: layers }, (_, layer) => attentionPattern(g, { qkv: qBuf, kCache: kBuf, out, outOff: 7, layer, t, nCtx, heads })));
      const got = await read(g, out, 7 + layers * NH * n);
      const ref = attentionPatternRef(qkv, kCache, t, pos0, heads);
      for (let layer = 0; layer < layers; layer++) expectClose(`layer ${layer}`, got.subarray(7 + layer * NH * n, 7 + (layer + 1) * NH * n), ref, 1e-6, 1e-4);
      for (let h = 0; h < NH; h++) expect(Math.abs(got.subarray(7 + h * n, 7 + (h + 1) * n).reduce((a, v) => a + v, 0) - 1)).toBeLessThan(1e-5);
    });
  }
});
