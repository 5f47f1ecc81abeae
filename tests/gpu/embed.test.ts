import { describe, expect, it } from 'vitest';
import { embed } from '../../src/kernels/embed';
import { embedRef } from '../../src/reference/embed';
import { uploadTensor } from '../../src/gpu/buffers';
import { roundToHalf } from '../../src/gpu/f16';
import { Rng } from '../../src/model/rng';
import { expectClose } from '../util';
import { empty, getGpu, read, upload } from './gpu';

describe('embed', () => {
  // maxBinding forces wte into several parts, as GPT-2's 154 MB wte is on a 128 MiB limit.
  for (const dtype of ['f32', 'f16'] as const) {
    for (const [T, C, V, pos0, maxRows] of [[1, 96, 101, 0, 101], [9, 36, 130, 5, 40], [70, 64, 1000, 0, 333], [3, 4, 7, 2, 2]]) {
      it(`${dtype} T=${T} C=${C} V=${V} pos0=${pos0} parts of ${maxRows} rows`, async () => {
        const g = await getGpu();
        const rng = new Rng(T + C + V);
        const wte = rng.array(V * C);
        const wpe = rng.array((pos0 + T) * C);
        const ids = Uint32Array.from({ length: T }, (_, t) => (t === 0 ? V - 1 : rng.int(V)));
        const bytes = dtype === 'f16' ? 2 : 4;
        const wteGpu = uploadTensor(g.device, 'wte', [V, C], wte, maxRows * C * bytes, dtype);
        const wpeGpu = uploadTensor(g.device, 'wpe', [pos0 + T, C], wpe, Infinity, dtype);
        expect(wteGpu.parts.length).toBe(Math.ceil(V / maxRows));
        const out = empty(g, T * C);
        g.writeStep(pos0);
        g.run(embed(g, { ids: upload(g, ids), wte: wteGpu, wpe: wpeGpu, out, T, C }));
        const ref = dtype === 'f16' ? embedRef(ids, roundToHalf(wte), roundToHalf(wpe), C, pos0) : embedRef(ids, wte, wpe, C, pos0);
        expectClose('embed', await read(g, out, T * C), ref);
      });
    }
  }

  // rotary models: no position embedding, and Gemma's sqrt(C) scale
  for (const [T, C, V, scale] of [[14, 96, 384, Math.sqrt(96)], [2, 8, 50, 1]]) {
    it(`no wpe, scale ${scale.toFixed(3)}, T=${T} C=${C}, wte in 3 parts`, async () => {
      const g = await getGpu();
      const rng = new Rng(T * C + 1);
      const wte = rng.array(V * C);
      const ids = Uint32Array.from({ length: T }, () => rng.int(V));
      const out = empty(g, T * C);
      g.writeStep(3);
      g.run(embed(g, { ids: upload(g, ids), wte: uploadTensor(g.device, 'wte', [V, C], wte, Math.ceil(V / 3) * C * 4), wpe: null, out, T, C, scale }));
      expectClose('embed', await read(g, out, T * C), embedRef(ids, wte, null, C, 3, scale));
    });
  }
});
