import { describe, it } from 'vitest';
import { layernorm } from '../../src/kernels/layernorm';
import { layernormRef } from '../../src/reference/layernorm';
import { Rng } from '../../src/model/rng';
import { expectClose } from '../util';
import { empty, getGpu, read, upload } from './gpu';

// Sums through workgroup memory, and with subgroup operations (the ":sg" variant).
describe.each([false, true])('layernorm, subgroups %s', (subgroups) => {
  for (const [T, C, threads] of [[1, 96, 4], [7, 768, 64], [65, 33, 4], [3, 1, 64], [2, 130, 1], [3, 200, 7]]) {
    it(`T=${T} C=${C}, ${threads} threads per row`, async () => {
      const g = await getGpu(undefined, subgroups);
      const rng = new Rng(T * 1000 + C);
      // an offset mean, like GPT-2's residual stream, to exercise the two-pass variance
      const x = rng.array(T * C).map((v) => v * 3 + 20);
      const w = rng.array(C);
      const b = rng.array(C);
      const out = empty(g, T * C);
      g.run([layernorm(g, { inp: upload(g, x), weight: upload(g, w), bias: upload(g, b), out, T, C, eps: 1e-5, threads })]);
      expectClose('layernorm', await read(g, out, T * C), layernormRef(x, w, b, T, C));
    });
  }
});
