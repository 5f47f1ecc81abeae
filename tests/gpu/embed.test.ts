import { describe, expect, it } from 'vitest';
import { embed } from '../../src/kernels/embed';
import { embedRef } from '../../src/reference/embed';
import { uploadTensor } from '../../src/gpu/buffers';
import { Rng } from '../../src/model/rng';
import { expectClose } from '../util';
import { empty, getGpu, read, upload } from './gpu';

describe('embed', () => {
  // maxBinding forces wte into several parts, as GPT-2's 154 MB wte is on a 128 MiB limit.
  for (const [T, C, V, pos0, maxRows] of [[1, 96, 101, 0, 101], [9, 33, 130, 5, 40], [70, 64, 1000, 0, 333]]) {
    it(`T=${T} C=${C} V=${V} pos0=${pos0} parts of ${maxRows} rows`, async () => {
      const g = await getGpu();
      const rng = new Rng(T + C + V);
      const wte = rng.array(V * C);
      const wpe = rng.array((pos0 + T) * C);
      const ids = Uint32Array.from({ length: T }, (_, t) => (t === 0 ? V - 1 : rng.int(V)));
      const wteGpu = uploadTensor(g.device, 'wte', [V, C], wte, maxRows * C * 4);
      expect(wteGpu.parts.length).toBe(Math.ceil(V / maxRows));
      const out = empty(g, T * C);
      g.writeStep(pos0);
      g.run(embed(g, { ids: upload(g, ids), wte: wteGpu, wpe: upload(g, wpe), out, T, C }));
      expectClose('embed', await read(g, out, T * C), embedRef(ids, wte, wpe, C, pos0));
    });
  }
});
