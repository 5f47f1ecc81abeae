import { describe, it } from 'vitest';
import { rmsnorm } from '../../src/kernels/rmsnorm';
import { rmsnormRef } from '../../src/reference/rmsnorm';
import { addRef } from '../../src/reference/add';
import { Rng } from '../../src/model/rng';
import { expectClose } from '../util';
import { empty, getGpu, read, upload } from './gpu';

// Plain (Llama, Qwen) and Gemma's (1 + w); writing, and adding into the residual (Gemma's
// sandwich norms); sums through workgroup memory and with subgroups; odd widths and thread counts.
describe.each([false, true])('rmsnorm, subgroups %s', (subgroups) => {
  for (const [T, C, threads, offset, addTo] of [
    [1, 96, 4, 0, false], [7, 1152, 64, 1, false], [65, 33, 4, 1, true], [3, 1, 64, 0, false], [2, 130, 7, 0, true],
  ] as const) {
    it(`T=${T} C=${C}, ${threads} threads, offset ${offset}${addTo ? ', added to the residual' : ''}`, async () => {
      const g = await getGpu(undefined, subgroups);
      const rng = new Rng(T * 1000 + C + offset);
      const x = rng.array(T * C, 3);
      const w = rng.array(C, 0.5);
      const resid = rng.array(T * C);
      const out = addTo ? upload(g, resid) : empty(g, T * C);
      g.run([rmsnorm(g, { inp: upload(g, x), weight: upload(g, w), out, T, C, eps: 1e-6, offset, addTo, threads })]);
      const y = rmsnormRef(x, w, T, C, 1e-6, offset);
      expectClose('rmsnorm', await read(g, out, T * C), addTo ? addRef(resid, y) : y);
    });
  }
});
