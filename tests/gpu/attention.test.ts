import { describe, it } from 'vitest';
import { attention } from '../../src/kernels/attention';
import { kvAppend } from '../../src/kernels/kv_append';
import { attentionRef } from '../../src/reference/attention';
import { kvAppendRef } from '../../src/reference/kv_append';
import { Rng } from '../../src/model/rng';
import { expectClose } from '../util';
import { empty, getGpu, read, upload } from './gpu';

// Softmax reductions through workgroup memory, and with subgroup operations (the ":sg" variant).
describe.each([false, true])('kv_append + attention, subgroups %s', (subgroups) => {
  // prefill (pos0 = 0), decode (T = 1 after a filled cache), a chunk after a prefix; odd head
  // sizes (NH=3 on C=96 gives HS=32; C=75, NH=3 gives HS=25) and T above the 64-thread group.
  // threads per (query, head): 64 as on GPUs, 4 as on CPU adapters, and odd counts.
  for (const [T, C, NH, pos0, nCtx, threads] of [
    [1, 96, 3, 0, 16, 64],
    [7, 96, 3, 0, 16, 4],
    [1, 75, 3, 40, 64, 4],
    [5, 64, 4, 11, 32, 64],
    [70, 48, 2, 3, 128, 4],
    [9, 96, 3, 30, 64, 7],
  ]) {
    // splitKeys: one workgroup per (query, head), or keys in chunks of 5 (not dividing n_ctx: the
    // last split is short, and at small pos0 most splits are empty) or 16, merged by attention_combine
    for (const splitKeys of [0, 5, 16])
    it(`T=${T} C=${C} NH=${NH} pos0=${pos0}, ${threads} threads, split ${splitKeys || 'none'}`, async () => {
      const g = await getGpu(undefined, subgroups);
      const rng = new Rng(T * 17 + C + NH + pos0);
      const qkv = rng.array(T * 3 * C);
      const kCache = new Float32Array(nCtx * C);
      const vCache = new Float32Array(nCtx * C);
      kCache.set(rng.array(pos0 * C)); // the earlier tokens' keys and values
      vCache.set(rng.array(pos0 * C));
      const kBuf = upload(g, kCache);
      const vBuf = upload(g, vCache);
      const out = empty(g, T * C);
      const qkvBuf = upload(g, qkv);
      g.writeStep(pos0);
      g.run([
        kvAppend(g, { qkv: qkvBuf, kCache: kBuf, vCache: vBuf, T, C }),
        ...attention(g, { qkv: qkvBuf, kCache: kBuf, vCache: vBuf, out, T, C, NH, nCtx, threads, splitKeys }),
      ]);
      kvAppendRef(qkv, kCache, vCache, T, C, pos0);
      expectClose('k_cache', await read(g, kBuf, nCtx * C), kCache);
      expectClose('v_cache', await read(g, vBuf, nCtx * C), vCache);
      expectClose('attention', await read(g, out, T * C), attentionRef(qkv, kCache, vCache, T, C, NH, pos0));
    });
  }
});
