// logsumexp against its CPU twin, over awkward row lengths (V = 1, V below the thread count, V
// not a multiple of anything, GPT-2's 50257) and logits large enough that a naive exp overflows;
// both row-reduction variants (workgroup memory, subgroups) and both launch shapes. With it, the
// signed top-k the logit lens runs (sae_topk's SIGNED: negative logits kept).
import { describe, expect, it } from 'vitest';
import { logsumexp } from '../../src/kernels/logsumexp';
import { saeTopk } from '../../src/kernels/sae_topk';
import { readBuffer } from '../../src/gpu/buffers';
import { logsumexpRef } from '../../src/reference/logsumexp';
import { saeTopkRef } from '../../src/reference/sae_topk';
import { Rng } from '../../src/model/rng';
import { expectClose } from '../util';
import { empty, getGpu, read, REDUCE_VARIANTS, upload } from './gpu';

describe.each(REDUCE_VARIANTS)('logsumexp, %s launch, subgroups %s', (cls, subgroups) => {
  for (const [R, V, scale] of [[1, 1, 1], [3, 3, 1], [5, 257, 4], [2, 50257, 10], [4, 384, 200]]) {
    it(`R=${R} V=${V}, logits ~ ${scale} N(0, 1)`, async () => {
      const g = await getGpu(cls, subgroups);
      const x = new Rng(R * V + scale).array(R * V, scale);
      const out = empty(g, R);
      g.run([logsumexp(g, { x: upload(g, x), out, R, V })]);
      const got = await read(g, out, R);
      expect(got.every(Number.isFinite), 'finite even where exp(x) overflows f32').toBe(true);
      expectClose('logsumexp', got, logsumexpRef(x, R, V), 1e-5, 2e-6);
    });
  }
});

describe('sae_topk, signed', () => {
  for (const [T, S, K] of [[1, 50257, 10], [6, 384, 5], [3, 7, 16], [2, 257, 64]]) {
    it(`T=${T} S=${S} K=${K}: the top K of rows that are mostly negative`, async () => {
      const g = await getGpu();
      const f = new Rng(T + S + K).array(T * S, 3).map((v) => v - 15); // every value < 0: 15 is 5 sigma of N(0, 3)
      const idx = empty(g, T * K);
      const val = empty(g, T * K);
      g.run([saeTopk(g, { f: upload(g, f), idx, val, T, S, K, signed: true })]);
      const ref = saeTopkRef(f, T, S, K, true);
      expect([...new Uint32Array(await readBuffer(g.device, idx, T * K * 4))]).toEqual([...ref.idx]);
      expectClose('signed top-k values', await read(g, val, T * K), ref.val, 0, 0);
      expect(ref.val.some((v) => v < 0), 'negative winners are kept').toBe(true);
    });
  }
});
