import { describe, expect, it } from 'vitest';
import { glu } from '../../src/kernels/glu';
import { gluRef } from '../../src/reference/glu';
import { Rng } from '../../src/model/rng';
import { expectClose } from '../util';
import { empty, getGpu, read, upload } from './gpu';

// GeGLU (Gemma) and SwiGLU (Llama, Qwen), with gate values far in both tails (|g| > 100, where a
// naive tanh or sigmoid turns into NaN), at odd sizes.
describe('glu', () => {
  for (const act of ['gelu_tanh', 'silu'] as const) {
    for (const [T, D] of [[1, 4], [3, 160], [14, 6912 / 16], [65, 36]]) {
      it(`${act}, T=${T} D=${D}`, async () => {
        const g = await getGpu();
        const rng = new Rng(T * 31 + D + act.length);
        const gateUp = rng.array(T * 2 * D, 3);
        gateUp[0] = -120;
        if (D > 1) gateUp[1] = 150;
        const out = empty(g, T * D);
        g.run([glu(g, { gateUp: upload(g, gateUp), out, T, D, act })]);
        const got = await read(g, out, T * D);
        expect(got.every(Number.isFinite)).toBe(true);
        expectClose('glu', got, gluRef(gateUp, T, D, act));
      });
    }
  }
});
