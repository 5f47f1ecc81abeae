import { describe, expect, it } from 'vitest';
import { logits } from '../../src/kernels/logits';
import { logitsRef } from '../../src/reference/logits';
import { uploadTensor } from '../../src/gpu/buffers';
import { roundToHalf } from '../../src/gpu/f16';
import { Rng } from '../../src/model/rng';
import { expectClose } from '../util';
import { ADAPTER_CLASSES, empty, getGpu, read, upload } from './gpu';

describe('logits', () => {
  // V not a multiple of 64 (or of the 8 rows per workgroup); wte split into parts; all rows or
  // just the last one; wte stored as f32 and as f16; C/4 below, at and above the gpu variant's
  // 32 lanes per row, and not a multiple of them.
  for (const [cls, dtype] of ADAPTER_CLASSES.flatMap((c) => (['f32', 'f16'] as const).map((d) => [c, d] as const))) {
    // Gemma 2's final soft-cap, at a cap the random logits (|logit| up to ~40) run into
    it(`${cls} variant, ${dtype}, soft-capped at 10`, async () => {
      const g = await getGpu(cls);
      const [C, V] = [64, 300];
      const rng = new Rng(C + V);
      const x = rng.array(C, 3);
      const wte = rng.array(V * C);
      const out = empty(g, V);
      g.run(logits(g, { x: upload(g, x), wte: uploadTensor(g.device, 'wte', [V, C], wte, Infinity, dtype), out, row0: 0, R: 1, C, V, softcap: 10 }));
      const ref = logitsRef(x, dtype === 'f16' ? roundToHalf(wte) : wte, 0, 1, C, V, 10);
      expect(ref.some((v) => Math.abs(v) > 9)).toBe(true);
      expectClose('soft-capped logits', await read(g, out, V), ref);
    });
    for (const [T, C, V, row0, R, maxRows] of [
      [1, 96, 1001, 0, 1, 1001],
      [5, 36, 77, 4, 1, 30],
      [6, 96, 515, 0, 6, 200],
      [2, 516, 259, 1, 1, 100],
      [1, 128, 33, 0, 1, 33],
    ]) {
      it(`${cls} variant, ${dtype} T=${T} C=${C} V=${V} rows ${row0}..${row0 + R} parts of ${maxRows}`, async () => {
        const g = await getGpu(cls);
        const rng = new Rng(T + C * 3 + V);
        const x = rng.array(T * C);
        const wte = rng.array(V * C);
        const out = empty(g, R * V);
        const wteGpu = uploadTensor(g.device, 'wte', [V, C], wte, maxRows * C * (dtype === 'f16' ? 2 : 4), dtype);
        g.run(logits(g, { x: upload(g, x), wte: wteGpu, out, row0, R, C, V }));
        expectClose('logits', await read(g, out, R * V), logitsRef(x, dtype === 'f16' ? roundToHalf(wte) : wte, row0, R, C, V));
      });
    }
  }
});
