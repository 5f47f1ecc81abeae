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
import { rmsnormBackward } from '../../src/kernels/rmsnorm_backward';
import { ropeBackward } from '../../src/kernels/rope_backward';
import { gluBackward } from '../../src/kernels/glu_backward';
import { saeEncodeVjp } from '../../src/kernels/sae_encode_backward';
import { saeNormBackward } from '../../src/kernels/sae_norm_backward';
import type { SaeArchitecture } from '../../src/kernels/sae_encode';
import type { NormalizeActivations } from '../../src/kernels/sae_norm';
import { ropeTable } from '../../src/model/rope';
import { rmsnormBackwardRef } from '../../src/reference/backward/rmsnorm';
import { ropeBackwardRef } from '../../src/reference/backward/rope';
import { gluBackwardRef } from '../../src/reference/backward/glu';
import { saeEncodeBackwardRef, saeEncodeF64, saeNormBackwardRef, type SaeEncodeSpec } from '../../src/reference/backward/sae_encode';
import { expectClose } from '../util';
import { empty, getGpu, read, REDUCE_VARIANTS, upload, uploadWeight } from './gpu';

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

  it.each([
    [1, 4, 1, 'f32'],
    [7, 12, 5, 'f32'],
    [33, 120, 70, 'f16'],
    [14, 480, 120, 'f16'],
    [37, 256, 1024, 'f32'],
  ] as const)('matmul_backward_input_vec4 (4x4 blocks, an f32 or f16 weight tensor) M=%i N=%i K=%i %s', async (M, N, K, dtype) => {
    const g = await getGpu();
    const rng = new Rng(M * 131 + N * 7 + K);
    const dy = rng.array(M * N);
    const { t, ref } = uploadWeight(g, rng.array(K * N, 0.3), K, N, dtype);
    const da = empty(g, M * K);
    g.run([matmulBackwardInput(g, { dy: upload(g, dy), b: t, da, M, N, K })]);
    expectClose('da', await read(g, da, M * K), matmulBackwardInputRef(dy, ref, M, N, K), 1e-5, 1e-4);
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

  for (const [T, C, threads, offset] of [[1, 3, 4, 0], [7, 13, 4, 1], [14, 120, 64, 0], [5, 1, 4, 1], [3, 200, 7, 1]] as const) {
    it(`rmsnorm_backward T=${T} C=${C}, ${threads} threads per row, offset ${offset}`, async () => {
      const g = await getGpu();
      const rng = new Rng(T * 1000 + C + 5);
      const x = rng.array(T * C).map((v) => v * 3 + 2);
      const w = rng.array(C).map((v) => (offset ? 0.3 * v : 1 + 0.3 * v));
      const dy = rng.array(T * C);
      const prior = rng.array(T * C);
      const dx = empty(g, T * C);
      const acc = upload(g, prior, 'dx (accumulate)');
      const [dyB, xB, wB] = [upload(g, dy), upload(g, x), upload(g, w)];
      g.run([
        rmsnormBackward(g, { dy: dyB, x: xB, weight: wB, dx, T, C, eps: 1e-6, offset, threads }),
        rmsnormBackward(g, { dy: dyB, x: xB, weight: wB, dx: acc, T, C, eps: 1e-6, offset, threads, accumulate: true }),
      ]);
      const ref = rmsnormBackwardRef(dy, x, w, T, C, 1e-6, offset).dx;
      expectClose('dx', await read(g, dx, T * C), ref, 1e-5, 1e-4);
      expectClose('dx (accumulate)', await read(g, acc, T * C), ref.map((v, i) => v + prior[i]), 1e-5, 1e-4);
    });
  }

  it.each([
    // T, NH, NKV, HS, qkNorm, offset, threads
    [1, 1, 1, 2, false, 0, 4],
    [5, 4, 2, 6, false, 0, 4],
    [3, 2, 1, 10, true, 1, 4],
    [6, 3, 3, 16, true, 0, 64],
    [2, 4, 1, 256, true, 1, 7],
  ] as const)('rope_backward T=%i NH=%i NKV=%i HS=%i qkNorm=%s offset=%i, %i threads', async (T, NH, NKV, HS, qk, offset, threads) => {
    const g = await getGpu();
    const rng = new Rng(T * 101 + NH * 11 + HS + (qk ? 3 : 0));
    const stride = (NH + 2 * NKV) * HS + 1;
    const pos0 = 2;
    const table = ropeTable(Array.from({ length: HS / 2 }, (_, i) => 1 / 10000 ** ((2 * i) / HS)), pos0 + T);
    const w = rng.array(2 * HS).map((v) => (offset ? 0.3 * v : 1 + 0.3 * v));
    const qkv = rng.array(T * stride, 1.5);
    const dy = rng.array(T * stride);
    const dqkv = upload(g, dy, 'dqkv');
    const qkNorm = qk ? { weight: upload(g, w), eps: 1e-6, offset } : undefined;
    g.run([ropeBackward(g, { dqkv, qkv: upload(g, qkv), table: upload(g, table), T, NH, NKV, HS, stride, pos0, qkNorm, threads })]);
    const ref = ropeBackwardRef(dy, qkv, { T, NH, NKV, HS, stride, table, pos0, qkNorm: qk ? { weight: w, eps: 1e-6, offset } : undefined });
    expectClose('dqkv', await read(g, dqkv, T * stride), ref, 1e-5, 1e-4);
  });

  it.each([
    [1, 1, 'gelu_tanh'],
    [3, 7, 'gelu_tanh'],
    [1, 5, 'silu'],
    [70, 333, 'silu'],
    [9, 64, 'gelu_tanh'],
  ] as const)('glu_backward T=%i D=%i %s (incl. |gate| up to ~30)', async (T, D, act) => {
    const g = await getGpu();
    const rng = new Rng(T * 31 + D + act.length);
    const gu = rng.array(T * 2 * D, 3);
    if (D > 2) gu.set([30, -30]);
    const dout = rng.array(T * D);
    const dgu = empty(g, T * 2 * D);
    g.run([gluBackward(g, { dout: upload(g, dout), gateUp: upload(g, gu), dgateUp: dgu, T, D, act })]);
    expectClose('dgateUp', await read(g, dgu, T * 2 * D), gluBackwardRef(dout, gu, T, D, act), 1e-5, 1e-4);
  });

  it.each([
    // T, NH, NKV, HS, window, softcap, scale
    [1, 2, 1, 3, 0, 0, 0.5],
    [7, 4, 2, 5, 3, 0, 0.4],
    [14, 3, 1, 8, 0, 1.5, 0.7],
    [33, 4, 1, 7, 5, 2, 0.3],
    [9, 2, 2, 3, 1, 50, 1],
  ])('attention_backward GQA/window/soft-cap T=%i NH=%i NKV=%i HS=%i window=%i softcap=%s scale=%s', async (T, NH, NKV, HS, window, softcap, scale) => {
    const g = await getGpu();
    const rng = new Rng(T * 100 + NH * 10 + NKV * 3 + HS + window);
    const stride = (NH + 2 * NKV) * HS;
    const qkv = rng.array(T * stride, 1.5);
    const dout = rng.array(T * NH * HS);
    const dqkv = empty(g, T * stride);
    g.run(attentionBackward(g, {
      qkv: upload(g, qkv), dout: upload(g, dout), dqkv, probs: empty(g, NH * T * T), ds: empty(g, NH * T * T),
      T, NH, NKV, HS, stride, window, softcap, scale,
    }));
    expectClose('dqkv', await read(g, dqkv, T * stride), attentionBackwardRef(dout, qkv, { T, NH, NKV, HS, stride, window, softcap, scale }), 1e-5, 1e-4);
  });

  it.each([
    ['standard', 'none', false],
    ['jumprelu', 'none', false],
    ['topk', 'constant_norm_rescale', false],
    ['standard', 'layer_norm', true],
    ['jumprelu', 'expected_average_only_in', true],
    ['gated', 'none', true],
  ] as Array<[SaeArchitecture, NormalizeActivations, boolean]>)('SAE encode VJP %s, norm %s, center=%s: d x from d acts', async (arch, norm, center) => {
    const g = await getGpu();
    const rng = new Rng(arch.length * 13 + norm.length + (center ? 1 : 0));
    const [T, C, S] = [5, 37, 70];
    const spec: SaeEncodeSpec = {
      C, S, arch, k: 6, center, norm, applyBDec: true, scale: 0.7,
      W_enc: rng.array(C * S, 0.3), b_enc: rng.array(S, 0.2), b_dec: rng.array(C, 0.3),
      threshold: rng.array(S, 0.1).map(Math.abs), r_mag: rng.array(S, 0.3), b_mag: rng.array(S, 0.2),
    };
    const x = rng.array(T * C, 1.5).map((v) => v + 0.5);
    const dActs = rng.array(T * S);
    const f = Float32Array.from(saeEncodeF64(x, T, spec).acts);
    const aux = new Float32Array(4 * S);
    aux.set(spec.r_mag as Float32Array, S);
    const dx = empty(g, T * C);
    g.run(saeEncodeVjp(g, {
      dActs: upload(g, dActs), f: upload(g, f), aux: upload(g, aux), wEnc: upload(g, spec.W_enc as Float32Array), x: upload(g, x),
      dp: empty(g, T * S), dIn: empty(g, T * C), dx, T, C, S, arch, center, norm, scale: 0.7,
    }));
    expectClose('dx', await read(g, dx, T * C), saeEncodeBackwardRef(dActs, x, T, spec), 1e-5, 1e-4);
  });
});

// The row-reduction backward kernels in every launch variant: 4 or 64 threads per row, with and
// without subgroups (the ":sg" shaders real GPUs get).
describe.each(REDUCE_VARIANTS)('row-reduction backward kernels, %s launch, subgroups %s', (cls, subgroups) => {
  it('rmsnorm_backward, rope_backward with QK-norm, sae_norm_backward (layer_norm, centred)', async () => {
    const g = await getGpu(cls, subgroups);
    const rng = new Rng(4242);
    const [T, C] = [5, 203];
    const x = rng.array(T * C).map((v) => v * 2 + 1);
    const w = rng.array(C, 0.3);
    const dy = rng.array(T * C);
    const dx = empty(g, T * C);
    const [NH, NKV, HS] = [4, 2, 130];
    const stride = (NH + 2 * NKV) * HS;
    const table = ropeTable(Array.from({ length: HS / 2 }, (_, i) => 1 / 10000 ** ((2 * i) / HS)), T);
    const qkv = rng.array(T * stride, 1.5);
    const dq = rng.array(T * stride);
    const nw = rng.array(2 * HS, 0.3);
    const dqkv = upload(g, dq, 'dqkv');
    const dxs = empty(g, T * C);
    const [xB, dyB] = [upload(g, x), upload(g, dy)];
    g.run([
      rmsnormBackward(g, { dy: dyB, x: xB, weight: upload(g, w), dx, T, C, eps: 1e-6, offset: 1 }),
      ropeBackward(g, { dqkv, qkv: upload(g, qkv), table: upload(g, table), T, NH, NKV, HS, stride, qkNorm: { weight: upload(g, nw), eps: 1e-6, offset: 1 } }),
      saeNormBackward(g, { dIn: dyB, x: xB, dx: dxs, T, C, center: true, norm: 'layer_norm' }),
    ]);
    expectClose('rmsnorm dx', await read(g, dx, T * C), rmsnormBackwardRef(dy, x, w, T, C, 1e-6, 1).dx, 1e-5, 1e-4);
    const ropeRefD = ropeBackwardRef(dq, qkv, { T, NH, NKV, HS, stride, table, qkNorm: { weight: nw, eps: 1e-6, offset: 1 } });
    expectClose('rope dqkv', await read(g, dqkv, T * stride), ropeRefD, 1e-5, 1e-4);
    const spec = { C, S: 1, arch: 'standard', center: true, norm: 'layer_norm', applyBDec: false, W_enc: [], b_enc: [], b_dec: [] } as SaeEncodeSpec;
    expectClose('sae_norm dx', await read(g, dxs, T * C), saeNormBackwardRef(dy, x, T, spec), 1e-5, 1e-4);
  });
});

