// Each backward kernel (shaders/*_backward*.wgsl) against its CPU twin in src/reference/backward/
// (which tests/unit/backward_ref.test.ts checks against finite differences), on seeded random
// inputs with awkward shapes: T = 1, C not a multiple of 4, odd head sizes.
import { describe, it } from 'vitest';
import { Rng } from '../../src/model/rng';
import { geluBackward } from '../../src/kernels/gelu_backward';
import { matmulBackwardInput, matmulBackwardWeight } from '../../src/kernels/matmul_backward';
import { layernormBackward, layernormBackwardParams } from '../../src/kernels/layernorm_backward';
import { attentionBackward } from '../../src/kernels/attention_backward';
import { embedBackward } from '../../src/kernels/embed_backward';
import { geluBackwardRef } from '../../src/reference/backward/gelu';
import { matmulBackwardInputRef, matmulBackwardWeightRef } from '../../src/reference/backward/matmul';
import { layernormBackwardRef } from '../../src/reference/backward/layernorm';
import { attentionBackwardRef } from '../../src/reference/backward/attention';
import { embedBackwardRef } from '../../src/reference/backward/embed';
import { expectClose } from '../util';
import { empty, getGpu, read, upload } from './gpu';

describe('backward kernels against their CPU twins', () => {
  it.each([[1], [7], [1000], [70001]])('gelu_backward n=%i (incl. |x| up to ~20: no NaN from tanh)', async (n) => {
    const g = await getGpu();
    const rng = new Rng(n);
    const x = rng.array(n, 3);
    if (n > 2) x.set([20, -20]);
    const dy = rng.array(n);
    const dx = empty(g, n);
    g.run([geluBackward(g, { dy: upload(g, dy), x: upload(g, x), dx, n })]);
    expectClose('dx', await read(g, dx, n), geluBackwardRef(dy, x), 1e-6, 1e-5);
  });

  it.each([
    [1, 1, 1],
    [1, 120, 360],
    [7, 13, 5],
    [14, 480, 120],
    [33, 17, 70],
  ])('matmul_backward_input and matmul_backward_weight M=%i N=%i K=%i', async (M, N, K) => {
    const g = await getGpu();
    const rng = new Rng(M * 7919 + N * 31 + K);
    const a = rng.array(M * K);
    const b = rng.array(K * N, 0.3);
    const dy = rng.array(M * N);
    const da = empty(g, M * K);
    const dw = empty(g, K * N);
    const dbias = empty(g, N);
    const dyB = upload(g, dy);
    g.run([
      matmulBackwardInput(g, { dy: dyB, b: upload(g, b), da, M, N, K }),
      matmulBackwardWeight(g, { dy: dyB, a: upload(g, a), dw, dbias, M, N, K }),
    ]);
    const ref = matmulBackwardWeightRef(dy, a, M, N, K);
    expectClose('da', await read(g, da, M * K), matmulBackwardInputRef(dy, b, M, N, K), 1e-5, 1e-4);
    expectClose('dw', await read(g, dw, K * N), ref.dB, 1e-5, 1e-4);
    expectClose('dbias', await read(g, dbias, N), ref.db, 1e-5, 1e-4);
  });

  for (const [T, C, threads] of [[1, 3, 4], [7, 13, 4], [14, 120, 64], [5, 1, 4], [3, 200, 7]]) {
    it(`layernorm_backward and layernorm_backward_params T=${T} C=${C}, ${threads} threads per row`, async () => {
      const g = await getGpu();
      const rng = new Rng(T * 1000 + C);
      // An offset mean, like GPT-2's residual stream.
      const x = rng.array(T * C).map((v) => v * 3 + 20);
      const w = rng.array(C).map((v) => 1 + 0.3 * v);
      const dy = rng.array(T * C);
      const dx = empty(g, T * C);
      const stats = empty(g, 2 * T);
      const dweight = empty(g, C);
      const dbias = empty(g, C);
      const [dyB, xB] = [upload(g, dy), upload(g, x)];
      g.run([
        layernormBackward(g, { dy: dyB, x: xB, weight: upload(g, w), dx, stats, T, C, eps: 1e-5, threads }),
        layernormBackwardParams(g, { dy: dyB, x: xB, stats, dweight, dbias, T, C }),
      ]);
      const ref = layernormBackwardRef(dy, x, w, T, C, 1e-5);
      // dx's entries are differences of O(rstd * |dy|) terms; C = 1 makes them exactly zero.
      expectClose('dx', await read(g, dx, T * C), ref.dx, 1e-4, 1e-3);
      expectClose('dweight', await read(g, dweight, C), ref.dw, 1e-4, 1e-4);
      expectClose('dbias', await read(g, dbias, C), ref.db, 1e-5, 1e-4);
    });
  }

  it('layernorm_backward, accumulate: dx += the gradient (the residual stream)', async () => {
    const g = await getGpu();
    const [T, C] = [5, 37];
    const rng = new Rng(77);
    const [x, dy, prior] = [rng.array(T * C), rng.array(T * C), rng.array(T * C)];
    const w = rng.array(C);
    const dx = upload(g, prior, 'dx');
    g.run([layernormBackward(g, { dy: upload(g, dy), x: upload(g, x), weight: upload(g, w), dx, stats: empty(g, 2 * T), T, C, eps: 1e-5, accumulate: true })]);
    const ref = layernormBackwardRef(dy, x, w, T, C, 1e-5).dx.map((v, i) => v + prior[i]);
    expectClose('dx', await read(g, dx, T * C), ref, 1e-4, 1e-3);
  });

  it.each([
    [1, 1, 3],
    [7, 3, 5],
    [14, 5, 24],
    [70, 2, 7],
  ])('attention_backward and attention_backward_kv T=%i NH=%i HS=%i', async (T, NH, HS) => {
    const g = await getGpu();
    const rng = new Rng(T * 100 + NH * 10 + HS);
    const C = NH * HS;
    const qkv = rng.array(T * 3 * C, 1.5);
    const dout = rng.array(T * C);
    const dqkv = empty(g, T * 3 * C);
    g.run(attentionBackward(g, { qkv: upload(g, qkv), dout: upload(g, dout), dqkv, probs: empty(g, NH * T * T), ds: empty(g, NH * T * T), T, NH, HS }));
    expectClose('dqkv', await read(g, dqkv, T * 3 * C), attentionBackwardRef(dout, qkv, { T, NH, HS, scale: 1 / Math.sqrt(HS) }), 1e-5, 1e-4);
  });

  it.each([
    [[3], 5, 4],
    [[3, 0, 3, 6, 3], 7, 5],
    [[9, 1, 9, 9, 0, 2, 1, 4], 10, 130],
  ])('embed_backward ids=%j V=%i C=%i: repeated tokens add, other rows stay zero', async (ids, V, C) => {
    const g = await getGpu();
    const T = ids.length;
    const dx = new Rng(T * C).array(T * C);
    const dwte = upload(g, new Float32Array(V * C), 'dwte');
    g.run([embedBackward(g, { ids: upload(g, Uint32Array.from(ids)), dx: upload(g, dx), dwte, T, C, V })]);
    expectClose('dwte', await read(g, dwte, V * C), embedBackwardRef(dx, ids, V, C).dWte, 1e-6, 1e-6);
  });
});
