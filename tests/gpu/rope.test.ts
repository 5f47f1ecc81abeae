import { describe, expect, it } from 'vitest';
import { rope } from '../../src/kernels/rope';
import { ropeRef } from '../../src/reference/rope';
import { ropeTable } from '../../src/model/rope';
import { Rng } from '../../src/model/rng';
import { expectClose } from '../util';
import { getGpu, read, upload } from './gpu';

const invFreq = (HS: number, theta: number) => Array.from({ length: HS / 2 }, (_, i) => 1 / theta ** ((2 * i) / HS));

describe('rope table', () => {
  it('is cos/sin of pos * inv_freq, and rotation by position 0 is the identity', () => {
    const t = ropeTable(invFreq(8, 10000), 50);
    expect(t[0]).toBe(1);
    expect(t[1]).toBe(0);
    const a = Math.fround(37 * Math.fround(invFreq(8, 10000)[1]));
    expect(t[(37 * 4 + 1) * 2]).toBeCloseTo(Math.cos(a), 7);
    expect(t[(37 * 4 + 1) * 2 + 1]).toBeCloseTo(Math.sin(a), 7);
  });
});

// q heads and k heads of a fused row (v left alone), at a prompt and at decode positions deep in
// the table; with QK-norm (Qwen 3's plain weights, Gemma 3's 1 + w) and without; odd head counts
// and thread counts; sums through workgroup memory and with subgroups.
describe.each([false, true])('rope, subgroups %s', (subgroups) => {
  for (const [T, NH, NKV, HS, pos0, threads, norm] of [
    [14, 3, 1, 32, 0, 4, 'none'], [1, 3, 1, 32, 900, 64, 'plain'], [5, 4, 2, 10, 7, 7, 'gemma'], [2, 8, 8, 128, 3, 64, 'gemma'],
  ] as const) {
    it(`T=${T} NH=${NH} NKV=${NKV} HS=${HS} pos0=${pos0}, ${threads} threads, qk-norm ${norm}`, async () => {
      const g = await getGpu(undefined, subgroups);
      const rng = new Rng(T * 7 + NH + HS + pos0);
      const stride = (NH + 2 * NKV) * HS;
      const qkv = rng.array(T * stride, 2);
      const table = ropeTable(invFreq(HS, 10000), 1024);
      const qk = norm === 'none' ? undefined : { weight: rng.array(2 * HS, 0.5), eps: 1e-6, offset: norm === 'gemma' ? 1 : 0 } as const;
      const buf = upload(g, qkv);
      g.writeStep(pos0);
      g.run([rope(g, { qkv: buf, table: upload(g, table), T, NH, NKV, HS, stride, threads, qkNorm: qk && { ...qk, weight: upload(g, qk.weight) } })]);
      const ref = ropeRef(qkv, T, NH, NKV, HS, stride, pos0, table, qk);
      expectClose('rope', await read(g, buf, T * stride), ref);
    });
  }
});
