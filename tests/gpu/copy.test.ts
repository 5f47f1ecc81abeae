import { describe, it } from 'vitest';
import { copy } from '../../src/kernels/copy';
import { copyRef } from '../../src/reference/copy';
import { Rng } from '../../src/model/rng';
import { expectClose } from '../util';
import { empty, getGpu, read, upload } from './gpu';

describe('copy', () => {
  for (const n of [4, 1028, 256 * 4 * 70]) {
    it(`n=${n}`, async () => {
      const g = await getGpu();
      const x = new Rng(n).array(n);
      const out = empty(g, n);
      g.run([copy(g, { src: upload(g, x), dst: out, n })]);
      expectClose('copy', await read(g, out, n), copyRef(x), 0, 0);
    });
  }
});
