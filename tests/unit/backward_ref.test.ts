// The CPU twins of the backward ops (src/reference/backward/), each checked against central finite
// differences of its f64 forward on seeded random inputs with awkward shapes, and the whole GPT-2
// backward against finite differences on a tiny random model and against torch autograd on the
// fixture checkpoints (tools/grad_reference.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/model/rng';
import { parseSafetensors } from '../../src/model/safetensors';
import { parseGpt2Config, type Gpt2Config } from '../../src/model/config';
import { gpt2Weights, type Weights } from '../../src/model/weights';
import { matmulF64, matmulRef } from '../../src/reference/matmul';
import { layernormRef } from '../../src/reference/layernorm';
import { geluRef } from '../../src/reference/gelu';
import { attentionRef } from '../../src/reference/attention';
import { embedRef } from '../../src/reference/embed';
import { gpt2Ref } from '../../src/reference/gpt2';
import { gpt2Heads } from '../../src/kernels/attention';
import { kvAppendRef } from '../../src/reference/kv_append';
import { matmulBackwardInputRef, matmulBackwardWeightRef } from '../../src/reference/backward/matmul';
import { layernormBackwardRef, layernormF64 } from '../../src/reference/backward/layernorm';
import { geluBackwardRef, geluF64 } from '../../src/reference/backward/gelu';
import { attentionBackwardRef, attentionF64 } from '../../src/reference/backward/attention';
import { embedBackwardRef, embedF64 } from '../../src/reference/backward/embed';
import { gpt2BackwardRef, gpt2ForwardF64, targetValue, type LogitTarget } from '../../src/reference/backward/gpt2';
import { randomGpt2Files } from '../helpers/random_model';
import { expectScaledClose, type GradFixture } from '../helpers/grad_fixture';
import { expectClose } from '../util';
import { rmsnormRef } from '../../src/reference/rmsnorm';
import { ropeRef } from '../../src/reference/rope';
import { gluRef } from '../../src/reference/glu';
import { ropeTable } from '../../src/model/rope';
import { rmsnormBackwardRef, rmsnormF64 } from '../../src/reference/backward/rmsnorm';
import { ropeBackwardRef, ropeF64, type RopeShape } from '../../src/reference/backward/rope';
import { gluBackwardRef, gluF64 } from '../../src/reference/backward/glu';
import { saeEncodeBackwardRef, saeEncodeF64, saeNormF64, type SaeEncodeSpec } from '../../src/reference/backward/sae_encode';
import { saeNormRef } from '../../src/reference/sae_norm';
import type { NormalizeActivations } from '../../src/kernels/sae_norm';
import type { SaeArchitecture } from '../../src/kernels/sae_encode';
import { parseDecoderConfig } from '../../src/model/decoder_config';
import { decoderBackwardRef, decoderEmbedF64, decoderForwardF64, decoderTargetValue, decoderWeightsF32, randomDecoder } from '../../src/reference/backward/decoder';

const f64 = (rng: Rng, n: number, scale = 1) => Float64Array.from(rng.array(n, scale));
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** d <r, f(x)> / dx by central differences, every element of x (f64, step h). */
function fdGrad(x: Float64Array, r: ArrayLike<number>, f: (x: Float64Array) => ArrayLike<number>, h = 1e-5): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const keep = x[i];
    x[i] = keep + h;
    const up = dot(r, f(x));
    x[i] = keep - h;
    const down = dot(r, f(x));
    x[i] = keep;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

// Central differences in f64 with h = 1e-5 are good to ~1e-9 on these smooth, O(1) functions.
const FD_RTOL = 1e-6;

describe('backward CPU twins against finite differences (f64)', () => {
  it.each([
    [1, 1, 1],
    [1, 5, 3],
    [7, 6, 5],
    [3, 13, 9],
  ])('matmul M=%i N=%i K=%i: dA = dY·Bᵀ, dB = Aᵀ·dY, db = Σ dY', (M, N, K) => {
    const rng = new Rng(100 + M * 31 + N * 7 + K);
    const a = f64(rng, M * K);
    const b = f64(rng, K * N);
    const bias = f64(rng, N);
    const dy = f64(rng, M * N);
    // The f64 forward is the app's matmulRef, to f32 rounding.
    expectClose('matmulF64 vs matmulRef', matmulRef(Float32Array.from(a), Float32Array.from(b), Float32Array.from(bias), M, N, K), matmulF64(a, b, bias, M, N, K), 1e-5, 1e-5);
    const { dB, db } = matmulBackwardWeightRef(dy, a, M, N, K);
    expectScaledClose('dA', matmulBackwardInputRef(dy, b, M, N, K), fdGrad(a, dy, (x) => matmulF64(x, b, bias, M, N, K)), FD_RTOL);
    expectScaledClose('dB', dB, fdGrad(b, dy, (x) => matmulF64(a, x, bias, M, N, K)), FD_RTOL);
    expectScaledClose('db', db, fdGrad(bias, dy, (x) => matmulF64(a, b, x, M, N, K)), FD_RTOL);
  });

  it.each([
    [1, 3],
    [7, 13],
    [2, 120],
  ])('layernorm T=%i C=%i: dx, dw, db', (T, C) => {
    const rng = new Rng(200 + T * 17 + C);
    const x = f64(rng, T * C, 2).map((v, i) => v + (i % C === 0 ? 3 : 0)); // an off-zero mean
    const w = f64(rng, C, 0.5).map((v) => 1 + v);
    const b = f64(rng, C, 0.3);
    const dy = f64(rng, T * C);
    expectClose('layernormF64 vs layernormRef', layernormRef(Float32Array.from(x), Float32Array.from(w), Float32Array.from(b), T, C), layernormF64(x, w, b, T, C), 1e-5, 1e-5);
    const g = layernormBackwardRef(dy, x, w, T, C);
    expectScaledClose('dx', g.dx, fdGrad(x, dy, (v) => layernormF64(v, w, b, T, C)), FD_RTOL);
    expectScaledClose('dw', g.dw, fdGrad(w, dy, (v) => layernormF64(x, v, b, T, C)), FD_RTOL);
    expectScaledClose('db', g.db, fdGrad(b, dy, (v) => layernormF64(x, w, v, T, C)), FD_RTOL);
  });

  it('gelu (tanh approximation), 37 values over [-6, 6]', () => {
    const rng = new Rng(300);
    const x = f64(rng, 37, 3);
    const dy = f64(rng, 37);
    expectClose('geluF64 vs geluRef', geluRef(Float32Array.from(x)), geluF64(x), 1e-6, 1e-5);
    // Elementwise, so compare each entry, not on the array's scale.
    expectClose('dx', geluBackwardRef(dy, x), fdGrad(x, dy, geluF64), 1e-8, 1e-6);
  });

  it.each([
    [1, 1, 3],
    [7, 3, 5],
    [5, 2, 4],
  ])('causal attention T=%i NH=%i HS=%i: dq, dk, dv through the softmax', (T, NH, HS) => {
    const rng = new Rng(400 + T * 13 + NH * 5 + HS);
    const C = NH * HS;
    const shape = { T, NH, HS, scale: 1 / Math.sqrt(HS) };
    const qkv = f64(rng, T * 3 * C, 1.5);
    const dout = f64(rng, T * C);
    // The f64 forward is the app's attentionRef (GPT-2 prefill: the cache holds this chunk's k, v).
    const q32 = Float32Array.from(qkv);
    const k = new Float32Array(T * C);
    const v = new Float32Array(T * C);
    kvAppendRef(q32, k, v, T, C, 0);
    expectClose('attentionF64 vs attentionRef', attentionRef(q32, k, v, T, 0, gpt2Heads(C, NH)), attentionF64(qkv, shape), 1e-5, 1e-5);
    expectScaledClose('dqkv', attentionBackwardRef(dout, qkv, shape), fdGrad(qkv, dout, (x) => attentionF64(x, shape)), FD_RTOL);
  });

  it('embedding: scatter-add into wte rows (repeated tokens add), copy into wpe', () => {
    const rng = new Rng(500);
    const V = 7;
    const C = 5;
    const ids = [3, 0, 3, 6, 3];
    const T = ids.length;
    const wte = f64(rng, V * C);
    const wpe = f64(rng, T * C);
    const dx = f64(rng, T * C);
    expectClose('embedF64 vs embedRef', embedRef(ids, Float32Array.from(wte), Float32Array.from(wpe), C), embedF64(ids, wte, wpe, C), 1e-6, 1e-6);
    const g = embedBackwardRef(dx, ids, V, C);
    expectScaledClose('dWte', g.dWte, fdGrad(wte, dx, (x) => embedF64(ids, x, wpe, C)), FD_RTOL);
    expectScaledClose('dWpe', g.dWpe, fdGrad(wpe, dx, (x) => embedF64(ids, wte, x, C)), FD_RTOL);
  });
});

describe('decoder backward CPU twins against finite differences (f64)', () => {
  it.each([
    [1, 3, 0],
    [7, 13, 1],
    [2, 64, 0],
    [4, 5, 1],
  ] as const)('rmsnorm T=%i C=%i offset=%i: dx, dw', (T, C, offset) => {
    const rng = new Rng(600 + T * 17 + C + offset);
    const x = f64(rng, T * C, 2).map((v, i) => v + (i % C === 0 ? 3 : 0));
    const w = f64(rng, C, 0.5).map((v) => (offset ? v : 1 + v));
    const dy = f64(rng, T * C);
    expectClose('rmsnormF64 vs rmsnormRef', rmsnormRef(Float32Array.from(x), Float32Array.from(w), T, C, 1e-6, offset), rmsnormF64(x, w, T, C, 1e-6, offset), 1e-5, 1e-5);
    const g = rmsnormBackwardRef(dy, x, w, T, C, 1e-6, offset);
    expectScaledClose('dx', g.dx, fdGrad(x, dy, (v) => rmsnormF64(v, w, T, C, 1e-6, offset)), FD_RTOL);
    expectScaledClose('dw', g.dw, fdGrad(w, dy, (v) => rmsnormF64(x, v, T, C, 1e-6, offset)), FD_RTOL);
  });

  it.each([
    [1, 2, 1, 6, false, 0],
    [5, 4, 2, 8, false, 0],
    [3, 2, 1, 6, true, 1],
    [4, 3, 3, 4, true, 0],
  ] as const)('rope T=%i NH=%i NKV=%i HS=%i qkNorm=%s offset=%i: the inverse rotation (and QK-norm VJP)', (T, NH, NKV, HS, qk, offset) => {
    const rng = new Rng(700 + T * 13 + NH * 7 + HS + (qk ? 1 : 0));
    const stride = (NH + 2 * NKV) * HS + 3; // extra columns pass through
    const inv = Array.from({ length: HS / 2 }, (_, i) => 1 / 10000 ** ((2 * i) / HS));
    const table = ropeTable(inv, T + 2);
    const qkNorm = qk ? { weight: Float32Array.from(f64(rng, 2 * HS, 0.5).map((v) => (offset ? v : 1 + v))), eps: 1e-6, offset: offset as 0 | 1 } : undefined;
    const shape: RopeShape = { T, NH, NKV, HS, stride, table, pos0: 1, qkNorm };
    const qkv = f64(rng, T * stride, 1.5);
    const dy = f64(rng, T * stride);
    expectClose('ropeF64 vs ropeRef', ropeRef(Float32Array.from(qkv), T, NH, NKV, HS, stride, 1, table, qkNorm), ropeF64(qkv, shape), 1e-5, 1e-5);
    expectScaledClose('dqkv', ropeBackwardRef(dy, qkv, shape), fdGrad(qkv, dy, (v) => ropeF64(v, shape)), FD_RTOL);
  });

  it.each([
    [1, 1, 'gelu_tanh'],
    [3, 7, 'gelu_tanh'],
    [1, 1, 'silu'],
    [4, 5, 'silu'],
  ] as const)('glu T=%i D=%i %s: d gate, d up', (T, D, act) => {
    const rng = new Rng(800 + T * 11 + D + act.length);
    const gu = f64(rng, T * 2 * D, 2.5);
    const dout = f64(rng, T * D);
    if (D % 4 === 0) expectClose('gluF64 vs gluRef', gluRef(Float32Array.from(gu), T, D, act), gluF64(gu, T, D, act), 1e-6, 1e-5);
    expectScaledClose('dgateUp', gluBackwardRef(dout, gu, T, D, act), fdGrad(gu, dout, (v) => gluF64(v, T, D, act)), FD_RTOL);
  });

  it('glu forward twins match gluRef (D = 4, 8)', () => {
    const rng = new Rng(810);
    for (const act of ['gelu_tanh', 'silu'] as const) {
      for (const D of [4, 8]) {
        const gu = f64(rng, 3 * 2 * D, 3);
        expectClose(`gluF64 ${act} D=${D}`, gluRef(Float32Array.from(gu), 3, D, act), gluF64(gu, 3, D, act), 1e-6, 1e-5);
      }
    }
  });

  it.each([
    // T, NH, NKV, HS, window, softcap, scale
    [1, 2, 1, 3, 0, 0, 0.5],
    [7, 4, 2, 5, 3, 0, 0.4],
    [6, 3, 1, 4, 0, 1.5, 0.7],
    [9, 2, 2, 3, 4, 2, 0.9],
    [5, 4, 1, 6, 1, 0.8, 0.3],
  ])('attention T=%i NH=%i NKV=%i HS=%i window=%i softcap=%s scale=%s: GQA, sliding window, soft-cap', (T, NH, NKV, HS, window, softcap, scale) => {
    const rng = new Rng(900 + T * 13 + NH * 5 + NKV * 3 + HS + window);
    const stride = (NH + 2 * NKV) * HS;
    const shape = { T, NH, NKV, HS, stride, window, softcap, scale };
    const qkv = f64(rng, T * stride, 1.5);
    const dout = f64(rng, T * NH * HS);
    // The f64 forward is the app's attentionRef on the decoder's layout (the cache holds this chunk's k, v).
    const q32 = Float32Array.from(qkv);
    const W = NKV * HS;
    const k = new Float32Array(T * W);
    const v = new Float32Array(T * W);
    kvAppendRef(q32, k, v, T, W, 0, { width: W, stride, kOffset: NH * HS });
    const heads = { NH, NKV, HS, qStride: stride, window, softcap, scale };
    expectClose('attentionF64 vs attentionRef', attentionRef(q32, k, v, T, 0, heads), attentionF64(qkv, shape), 1e-5, 1e-5);
    expectScaledClose('dqkv', attentionBackwardRef(dout, qkv, shape), fdGrad(qkv, dout, (x) => attentionF64(x, shape)), FD_RTOL);
  });

  const saeCases: Array<[SaeArchitecture, NormalizeActivations, boolean, boolean]> = [
    ['standard', 'none', false, true],
    ['jumprelu', 'none', false, false],
    ['topk', 'constant_norm_rescale', false, true],
    ['standard', 'layer_norm', true, true],
    ['jumprelu', 'expected_average_only_in', true, false],
    ['gated', 'none', true, true],
    ['topk', 'layer_norm', false, false],
  ];
  it.each(saeCases)('SAE encode %s, norm %s, center=%s, applyBDec=%s: d x from d acts', (arch, norm, center, applyBDec) => {
    const rng = new Rng(1000 + arch.length * 7 + norm.length + (center ? 1 : 0));
    const [T, C, S] = [3, 7, 11];
    const spec: SaeEncodeSpec = {
      C, S, arch, k: 4, center, norm, applyBDec, scale: 0.7,
      W_enc: f64(rng, C * S, 0.5), b_enc: f64(rng, S, 0.2), b_dec: f64(rng, C, 0.3),
      threshold: f64(rng, S, 0.1).map((v) => Math.abs(v)), r_mag: f64(rng, S, 0.3), b_mag: f64(rng, S, 0.2),
    };
    const x = f64(rng, T * C, 1.5).map((v) => v + 0.5);
    const dActs = f64(rng, T * S);
    const { xIn } = saeNormRef(Float32Array.from(x), Float32Array.from(spec.b_dec), T, C, { center, norm, applyBDec, scale: 0.7 });
    expectClose('saeNormF64 vs saeNormRef', xIn, saeNormF64(x, T, spec), 1e-5, 1e-5);
    const { acts } = saeEncodeF64(x, T, spec);
    const active = acts.filter((v) => v > 0).length;
    expect(active).toBeGreaterThan(0);
    expect(active).toBeLessThan(T * S); // some features are off: their gradient must not leak
    expectScaledClose('dx', saeEncodeBackwardRef(dActs, x, T, spec), fdGrad(x, dActs, (v) => saeEncodeF64(v, T, spec).acts), FD_RTOL);
  });
});

function loadModel(config: string, st: ArrayBuffer | Uint8Array, file: string): { cfg: Gpt2Config; w: Weights } {
  const cfg = parseGpt2Config(config);
  const buf = st instanceof Uint8Array ? st.buffer.slice(st.byteOffset, st.byteOffset + st.byteLength) : st;
  return { cfg, w: gpt2Weights(parseSafetensors(buf as ArrayBuffer, file), cfg) };
}
const readBuffer = (path: string) => {
  const b = readFileSync(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
};

describe('whole GPT-2 backward (CPU, f64)', () => {
  it('d target / d resid_pre[L] matches finite differences on a tiny random GPT-2 (C=12, 3 heads, T=5)', () => {
    const files = randomGpt2Files({ nLayers: 2, dModel: 12, nHeads: 3, vocab: 11, nCtx: 8, seed: 14 });
    const { cfg, w } = loadModel(files.config, files.safetensors, 'random.safetensors');
    const ids = [4, 9, 4, 0, 7];
    const T = ids.length;
    // Its logits are gpt2Ref's (the forward the GPU is held to), to f32 rounding.
    const { logits } = gpt2BackwardRef(cfg, w, ids, { position: T - 1, token: 0 });
    expectClose('gpt2ForwardF64 vs gpt2Ref', gpt2Ref(cfg, w, ids).logits, logits, 1e-4, 1e-4);
    for (const tg of [{ position: T - 1, token: 2 }, { position: 2, token: 5, minusToken: 1 }] as LogitTarget[]) {
      const { grads } = gpt2BackwardRef(cfg, w, ids, tg);
      const { acts } = gpt2ForwardF64(cfg, w, embedF64(ids, w.get('wte.weight')!, w.get('wpe.weight')!, cfg.dModel), T);
      for (let l = 0; l < cfg.nLayers; l++) {
        const x = Float64Array.from(acts[l].x);
        const fd = fdGrad(x, [1], (v) => [targetValue(gpt2ForwardF64(cfg, w, v, T, l).logits, cfg.vocabSize, tg)]);
        expectScaledClose(`target ${JSON.stringify(tg)} L=${l}`, grads[l], fd, FD_RTOL);
        // Causality: positions after the target's get no gradient.
        for (let i = (tg.position + 1) * cfg.dModel; i < T * cfg.dModel; i++) expect(grads[l][i]).toBe(0);
      }
    }
  });

  const fixtures = [
    { name: 'hf gpt2-seed1', dir: 'tests/fixtures/hf/gpt2-seed1/', config: 'config.json', st: 'model.safetensors', grads: 'grad_reference.json' },
    { name: 'bundled glassbox-mini', dir: '', config: 'public/models/glassbox-mini/config.json', st: 'public/models/glassbox-mini/model.safetensors', grads: 'tests/fixtures/glassbox-mini.grad_reference.json' },
  ];
  it.each(fixtures)('$name: matches torch autograd (float64) within 1e-4 relative, both targets, every layer', ({ name, dir, config, st, grads: gpath }) => {
    const { cfg, w } = loadModel(readFileSync(dir + config, 'utf8'), readBuffer(dir + st), st);
    const fx: GradFixture = JSON.parse(readFileSync(dir + gpath, 'utf8'));
    expect(fx.n_layer).toBe(cfg.nLayers);
    for (const [tname, t] of Object.entries(fx.targets)) {
      const { grads } = gpt2BackwardRef(cfg, w, fx.input_ids, { position: t.position, token: t.token, minusToken: t.minus_token });
      const worst = grads.map((g, l) => expectScaledClose(`${name} ${tname} L=${l}`, g, t.grad_resid_pre[l], 1e-4));
      console.log(`[backward] CPU ${name} ${tname}: max |diff| / max |torch| per layer ${worst.map((r) => r.toExponential(1)).join(' ')}`);
    }
  });
});

const FAMILIES = ['gemma3', 'gemma2', 'llama', 'qwen3'];
const familyConfig = (f: string) => readFileSync(`tests/fixtures/hf/${f}-seed1/config.json`, 'utf8');

describe('whole decoder backward (CPU, f64)', () => {
  it.each(FAMILIES)('%s: d target / d resid_pre[L] matches finite differences on a tiny random decoder (T=6)', (family) => {
    const { cfg, w } = randomDecoder(familyConfig(family), family, 31);
    expect(cfg.layers.map((l) => l.window)).toEqual(family.startsWith('gemma') ? [3, 0] : [0, 0]);
    const ids = [4, 9, 4, 0, 7, 10];
    const T = ids.length;
    for (const tg of [{ position: T - 1, token: 2 }, { position: 3, token: 5, minusToken: 1 }] as LogitTarget[]) {
      const { grads } = decoderBackwardRef(cfg, w, ids, tg);
      const { acts } = decoderForwardF64(cfg, w, decoderEmbedF64(cfg, w, ids), T);
      for (let l = 0; l < cfg.nLayers; l++) {
        const x = Float64Array.from(acts[l].x);
        const fd = fdGrad(x, [1], (v) => [decoderTargetValue(decoderForwardF64(cfg, w, v, T, l).logits, cfg.vocabSize, tg)]);
        expectScaledClose(`${family} target ${JSON.stringify(tg)} L=${l}`, grads[l], fd, FD_RTOL);
        for (let i = (tg.position + 1) * cfg.dModel; i < T * cfg.dModel; i++) expect(grads[l][i]).toBe(0);
      }
    }
  });

  it.each(FAMILIES)('hf %s-seed1: matches torch autograd (float64) within 1e-4 relative, both targets, every layer', async (family) => {
    const dir = `tests/fixtures/hf/${family}-seed1/`;
    const cfg = parseDecoderConfig(readFileSync(dir + 'config.json', 'utf8'));
    const w = await decoderWeightsF32(cfg, parseSafetensors(readBuffer(dir + 'model.safetensors'), 'model.safetensors'));
    const fx: GradFixture = JSON.parse(readFileSync(dir + 'grad_reference.json', 'utf8'));
    expect(fx.n_layer).toBe(cfg.nLayers);
    for (const [tname, t] of Object.entries(fx.targets)) {
      const { grads } = decoderBackwardRef(cfg, w, fx.input_ids, { position: t.position, token: t.token, minusToken: t.minus_token });
      const worst = grads.map((g, l) => expectScaledClose(`${family} ${tname} L=${l}`, g, t.grad_resid_pre[l], 1e-4));
      console.log(`[backward] CPU ${family} ${tname}: max |diff| / max |torch| per layer ${worst.map((r) => r.toExponential(1)).join(' ')}`);
    }
  });
});

