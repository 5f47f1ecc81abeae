import { describe, expect, it } from 'vitest';
import { geluRef } from '../../src/reference/gelu';
import { addRef } from '../../src/reference/add';
import { matmul } from '../../src/kernels/matmul';
import { matvec } from '../../src/kernels/matvec';
import { matmulRef } from '../../src/reference/matmul';
import { matvecRef } from '../../src/reference/matvec';
import { Rng } from '../../src/model/rng';
import { expectClose } from '../util';
import { ADAPTER_CLASSES, empty, getGpu, read, upload, uploadWeight } from './gpu';

// Each kernel runs with its weight stored as f32 and as f16; the f16 reference uses the same
// weights rounded to halves, so both must match to f32 accuracy. Each runs in both launch shapes:
// 'cpu' (matmul.wgsl, single-dispatch matvec) and 'gpu' (matmul_tiled.wgsl, split-K matvec with
// matvec_reduce), all on this adapter.
for (const [cls, dtype] of ADAPTER_CLASSES.flatMap((c) => (['f32', 'f16'] as const).map((d) => [c, d] as const))) {
  describe(`matmul, ${cls} variant, ${dtype} weights`, () => {
    // M, N, K: block edges (4 rows, 32 rows and 32 or 64 columns per workgroup, K steps of 16)
    // crossed, under- and over-shot, and GPT-2-like shapes.
    for (const [M, N, K] of [[2, 4, 4], [7, 288, 96], [65, 36, 20], [128, 3 * 768, 768], [100, 96, 384], [33, 260, 1028], [31, 68, 12]]) {
      it(`M=${M} N=${N} K=${K}`, async () => {
        const g = await getGpu(cls);
        const rng = new Rng(M * 31 + N * 7 + K);
        const a = rng.array(M * K);
        const b = uploadWeight(g, rng.array(K * N, 0.1), K, N, dtype);
        const bias = rng.array(N);
        const out = empty(g, M * N);
        g.run([matmul(g, { a: upload(g, a), b: b.t, bias: upload(g, bias), out, M, N, K })]);
        expectClose('matmul', await read(g, out, M * N), matmulRef(a, b.ref, bias, M, N, K));
      });
    }
  });

  describe(`matvec, ${cls} variant, ${dtype} weights`, () => {
    // On the gpu variant: [4, 1030] is 16 K-splits of 65 rows (the last one short), [68, 3000] 46
    // splits, [768, 3072] (GPT-2's mlp.c_proj) 11, [3072, 768] 3; the rest fit one split.
    for (const [N, K] of [[4, 1], [288, 96], [36, 17], [4, 1030], [3072, 768], [68, 3], [68, 3000], [768, 3072]]) {
      it(`N=${N} K=${K}`, async () => {
        const g = await getGpu(cls);
        const rng = new Rng(N * 13 + K);
        const x = rng.array(K);
        const w = uploadWeight(g, rng.array(K * N, 0.1), K, N, dtype);
        const bias = rng.array(N);
        const out = empty(g, N);
        g.run(matvec(g, { x: upload(g, x), w: w.t, bias: upload(g, bias), out, N, K }));
        expectClose('matvec', await read(g, out, N), matvecRef(x, w.ref, bias, N, K));
      });
    }
  });
}

describe('f16 weights', () => {
  it('really are halves, and the product stays within half precision of the f32 one', async () => {
    const g = await getGpu();
    const [N, K] = [256, 768];
    const rng = new Rng(99);
    const x = rng.array(K);
    const w = rng.array(K * N, 0.05);
    const bias = new Float32Array(N);
    const out = empty(g, N);
    g.run(matvec(g, { x: upload(g, x), w: uploadWeight(g, w, K, N, 'f16').t, bias: upload(g, bias), out, N, K }));
    const got = await read(g, out, N);
    const exact = matvecRef(x, w, bias, N, K);
    // Rounding each weight to 11 significant bits perturbs the product by about 2^-12 (rms,
    // relative); a wrong unpack (halves swapped, say) would be off by order 1.
    let err = 0;
    let ref = 0;
    for (let n = 0; n < N; n++) {
      err += (got[n] - exact[n]) ** 2;
      ref += exact[n] ** 2;
    }
    const relRms = Math.sqrt(err / ref);
    expect(relRms).toBeGreaterThan(2 ** -16);
    expect(relRms).toBeLessThan(2 ** -10);
  });
});

// The fused epilogues: GELU (mlp.c_fc) and the residual add (attn and mlp c_proj), for both
// kernels, against the reference matmul followed by the reference op. The GELU inputs reach the
// saturating tails (|x| > 10) where a naive tanh turns into NaN.
// K = 400 makes the gpu variant's matvec split K in 6 and apply the epilogue in matvec_reduce.
describe('matmul and matvec epilogues', () => {
  for (const [cls, epilogue, M] of ADAPTER_CLASSES.flatMap((c) => (['gelu', 'residual'] as const).flatMap((e) => [1, 9].map((m) => [c, e, m] as const)))) {
    {
      it(`${cls} variant: ${M === 1 ? 'matvec' : 'matmul'} + ${epilogue}`, async () => {
        const g = await getGpu(cls);
        const [N, K] = [96, M === 1 ? 400 : 40];
        const rng = new Rng(N + K + M + epilogue.length);
        const a = rng.array(M * K);
        const b = rng.array(K * N, 2);
        const bias = rng.array(N);
        const resid = rng.array(M * N);
        const out = upload(g, resid);
        const args = { bias: upload(g, bias), out, N, K, epilogue };
        g.run(M === 1 ? matvec(g, { x: upload(g, a), w: uploadWeight(g, b, K, N).t, ...args }) : [matmul(g, { a: upload(g, a), b: uploadWeight(g, b, K, N).t, M, ...args })]);
        const lin = matmulRef(a, b, bias, M, N, K);
        const ref = epilogue === 'gelu' ? geluRef(lin) : addRef(resid, lin);
        if (epilogue === 'gelu') expect(lin.some((v) => Math.abs(v) > 10)).toBe(true);
        expectClose(`${epilogue}`, await read(g, out, M * N), ref);
      });
    }
  }
});
