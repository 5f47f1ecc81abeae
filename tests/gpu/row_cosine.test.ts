import { describe, it } from 'vitest';
import { rowCosine } from '../../src/kernels/row_cosine';
import { rowCosineRef } from '../../src/reference/row_cosine';
import { Rng } from '../../src/model/rng';
import { expectClose } from '../util';
import { ADAPTER_CLASSES, empty, getGpu, read, upload } from './gpu';

describe('row_cosine', () => {
  // S = 1, S not a multiple of the rows per workgroup (8 on the gpu variant, 64 on the cpu one);
  // C/4 below, at and above the gpu variant's 32 lanes per row and not a multiple of them; q first,
  // inside and last; a zero row (cosine 0, no NaN), the query scaled by 3 (1) and by -0.5 (-1);
  // the grid folded into 2D.
  for (const cls of ADAPTER_CLASSES) {
    for (const [S, C, q, maxGridX] of [
      [1, 4, 0, undefined],
      [7, 36, 6, undefined],
      [300, 96, 123, undefined],
      [1001, 516, 0, undefined],
      [77, 128, 40, undefined],
      [517, 20, 258, 3],
    ] as Array<[number, number, number, number | undefined]>) {
      it(`${cls} variant, S=${S} C=${C} q=${q}${maxGridX ? `, grid folded at ${maxGridX}` : ''}`, async () => {
        const g = await getGpu(cls);
        const rng = new Rng(S * 7 + C + q);
        const w = rng.array(S * C, 0.2);
        if (S > 3) {
          const row = (s: number) => w.subarray(s * C, (s + 1) * C);
          row((q + 1) % S).fill(0);
          row((q + 2) % S).set(row(q).map((v) => 3 * v));
          row((q + 3) % S).set(row(q).map((v) => -0.5 * v));
        }
        const out = empty(g, S);
        g.run([rowCosine(g, { w: upload(g, w), out, S, C, q, maxGridX })]);
        expectClose('cosine', await read(g, out, S), rowCosineRef(w, S, C, q), 1e-6, 1e-5);
      });
    }
  }
});
