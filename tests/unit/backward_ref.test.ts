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
import { matmulRef } from '../../src/reference/matmul';
import { layernormRef } from '../../src/reference/layernorm';
import { geluRef } from '../../src/reference/gelu';
import { attentionRef } from '../../src/reference/attention';
import { embedRef } from '../../src/reference/embed';
import { gpt2Ref } from '../../src/reference/gpt2';
import { gpt2Heads } from '../../src/kernels/attention';
import { kvAppendRef } from '../../src/reference/kv_append';
import { matmulBackwardInputRef, matmulBackwardWeightRef, matmulF64 } from '../../src/reference/backward/matmul';
import { layernormBackwardRef, layernormF64 } from '../../src/reference/backward/layernorm';
import { geluBackwardRef, geluF64 } from '../../src/reference/backward/gelu';
import { attentionBackwardRef, attentionF64 } from '../../src/reference/backward/attention';
import { embedBackwardRef, embedF64 } from '../../src/reference/backward/embed';
import { gpt2BackwardRef, gpt2ForwardF64, targetValue, type LogitTarget } from '../../src/reference/backward/gpt2';
import { randomGpt2Files } from '../helpers/random_model';
import { expectScaledClose, type GradFixture } from '../helpers/grad_fixture';
import { expectClose } from '../util';

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
