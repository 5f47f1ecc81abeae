import { describe, it } from 'vitest';
import { uploadBuffer } from '../../src/gpu/buffers';
import { toHalf } from '../../src/gpu/f16';
import { widenF16 } from '../../src/kernels/widen_f16';
import { Rng } from '../../src/model/rng';
import { widenF16Ref } from '../../src/reference/widen_f16';
import { expectClose } from '../util';
import { empty, getGpu, read } from './gpu';

describe('widen_f16', () => {
  it.each([[1], [2], [7], [1000], [70001]])('n=%i (incl. subnormals, ±65504, ±0)', async (n) => {
    const g = await getGpu();
    const x = new Rng(n).array(n, 4);
    x.set([65504, -65504, 3e-6, -0, 1e-7].slice(0, n));
    const halves = toHalf(x);
    const padded = new Uint16Array(halves.length + (halves.length % 2));
    padded.set(halves);
    const out = empty(g, n);
    g.run([widenF16(g, { src: uploadBuffer(g.device, 'halves', new Uint32Array(padded.buffer)), out, n })]);
    expectClose('widen', await read(g, out, n), widenF16Ref(halves), 0, 0);
  });
});
