// gelu and add: one element per thread, so the awkward sizes are the ones around the
// 256-thread workgroup and the 2D grid.
import { describe, it } from 'vitest';
import { gelu } from '../../src/kernels/gelu';
import { add } from '../../src/kernels/add';
import { geluRef } from '../../src/reference/gelu';
import { addRef } from '../../src/reference/add';
import { Rng } from '../../src/model/rng';
import { expectClose } from '../util';
import { getGpu, read, upload } from './gpu';

describe('gelu', () => {
  for (const n of [1, 255, 257, 96 * 4 * 7]) {
    it(`n=${n}`, async () => {
      const g = await getGpu();
      const x = new Rng(n).array(n, 4);
      if (n > 4) x.set([30, -30, 0, 1e-3]); // saturating tails must not turn into NaN
      const buf = upload(g, x);
      g.run([gelu(g, { x: buf, n })]);
      expectClose('gelu', await read(g, buf, n), geluRef(x));
    });
  }
});

describe('add', () => {
  for (const n of [1, 300, 65 * 96]) {
    it(`n=${n}`, async () => {
      const g = await getGpu();
      const rng = new Rng(n + 7);
      const x = rng.array(n);
      const y = rng.array(n);
      const buf = upload(g, x);
      g.run([add(g, { x: buf, y: upload(g, y), n })]);
      expectClose('add', await read(g, buf, n), addRef(x, y));
    });
  }
});
