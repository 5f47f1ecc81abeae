import { describe, expect, it } from 'vitest';
import { sample as sampleOp, sampleWords, parseSample, type SampledToken } from '../../src/kernels/sample';
import { sample, type SamplingOptions } from '../../src/model/sampling';
import { Rng } from '../../src/model/rng';
import { createBuffer, readBuffer } from '../../src/gpu/buffers';
import type { Gpu, Step } from '../../src/gpu/gpu';
import { checkAlive } from '../../src/gpu/device';
import { NonFiniteError } from '../../src/errors';
import { mulberry32Bits } from '../../src/reference/sample';
import { getGpu, upload } from './gpu';
import { Gpt2 } from '../../src/model/gpt2';
import { GpuSampler } from '../../src/model/gpu_sampler';
import { randomModel } from '../helpers/load_model';
import { randomSaeLensFiles } from '../helpers/random_sae';
import { Sae } from '../../src/sae/sae';
import { parseSaeLensConfig, saeLensWeights } from '../../src/sae/formats';
import { parseSafetensors } from '../../src/model/safetensors';

const S = (temperature: number, topK: number, topP: number): SamplingOptions => ({ temperature, topK, topP });
const SETTINGS: Array<[string, SamplingOptions]> = [
  ['greedy', S(0, 0, 1)],
  ['temperature only', S(1, 0, 1)],
  ['top-k only', S(1, 40, 1)],
  ['top-p only', S(1, 0, 0.9)],
  ['top-k + top-p', S(0.8, 50, 0.95)],
  ['T=0.3 top-p', S(0.3, 0, 0.9)],
  ['T=0.8', S(0.8, 0, 1)],
  ['T=1.5', S(1.5, 0, 1)],
  ['T=1.5 top-k + top-p', S(1.5, 200, 0.8)],
];

/** normal: N(0, 9); peaked: N(0, 1) with a few tokens far above; ties: N(0, 4) rounded, so most values repeat. */
function makeLogits(kind: 'normal' | 'peaked' | 'ties', V: number, seed: number): Float32Array {
  const rng = new Rng(seed * 7919 + V);
  const x = rng.array(V, kind === 'normal' ? 3 : kind === 'ties' ? 2 : 1);
  if (kind === 'ties') for (let i = 0; i < V; i++) x[i] = Math.round(x[i]);
  if (kind === 'peaked') for (let j = 0; j < 3; j++) x[rng.int(V)] += 8 + 2 * j;
  return x;
}

/** n draws in one submission, the RNG state staying on the GPU; reads back each draw's output. */
async function gpuDraws(g: Gpu, logits: Float32Array, s: SamplingOptions, seed: number, n: number, topN = 0): Promise<SampledToken[]> {
  const V = logits.length;
  const w = sampleWords(topN) * 4;
  const rng = upload(g, Uint32Array.of(seed >>> 0), 'rng');
  const out = createBuffer(g.device, 'sample out', w);
  const all = createBuffer(g.device, 'sample outs', n * w);
  const d = sampleOp(g, { logits: upload(g, logits, 'logits'), rng, out, V, sampling: s, topN });
  const steps: Step[] = [];
  for (let j = 0; j < n; j++) steps.push(d, g.copy('out', out, all, w, 0, j * w));
  g.run(steps);
  const buf = await readBuffer(g.device, all);
  checkAlive(g.ctx);
  return Array.from({ length: n }, (_, j) => parseSample(buf, topN, j * w));
}

function cpuDraws(logits: Float32Array, s: SamplingOptions, seed: number, n: number): { ids: number[]; bits: number[] } {
  const rng = new Rng(seed);
  const ids = Array.from({ length: n }, () => sample(logits, s, rng));
  let state = seed >>> 0;
  const bits = ids.map(() => {
    if (s.temperature === 0) return 0;
    const [b, next] = mulberry32Bits(state);
    state = next;
    return b;
  });
  return { ids, bits };
}

async function expectSame(logits: Float32Array, s: SamplingOptions, seed: number, n: number): Promise<number[]> {
  const g = await getGpu();
  const got = await gpuDraws(g, logits, s, seed, n);
  const want = cpuDraws(logits, s, seed, n);
  expect(got.map((t) => t.bits), 'GPU RNG bits').toEqual(want.bits);
  expect(got.map((t) => t.id), 'sampled ids').toEqual(want.ids);
  return want.ids;
}

describe('sample: the GPU picks the ids the CPU sample() picks, same seed', () => {
  it('the CPU reference RNG bits are Rng.next() * 2^32', () => {
    const rng = new Rng(123);
    let st = 123;
    for (let i = 0; i < 100; i++) {
      const [b, next] = mulberry32Bits(st);
      st = next;
      expect(b).toBe(rng.next() * 2 ** 32);
    }
  });

  for (const [V, kinds, draws, seeds] of [
    [7, ['normal', 'ties'], 40, [1, 2]],
    [1000, ['normal', 'peaked', 'ties'], 32, [3, 4]],
    [50257, ['normal', 'peaked', 'ties'], 32, [5]],
  ] as const) {
    for (const kind of kinds) {
      for (const [name, s] of SETTINGS) {
        it(`V=${V} ${kind} logits, ${name}, ${draws} draws, seeds ${seeds}`, async () => {
          for (const seed of seeds) await expectSame(makeLogits(kind, V, seed), s, seed, draws);
        });
      }
    }
  }

  it('V=262144 (Gemma): greedy and T=0.8 top-p, a few draws', async () => {
    const logits = makeLogits('normal', 262144, 9);
    await expectSame(logits, S(0, 0, 1), 9, 1);
    await expectSame(logits, S(0.8, 0, 0.95), 9, 3);
  });

  it('a different seed draws different ids (the comparison can fail)', async () => {
    const logits = makeLogits('normal', 1000, 3);
    const g = await getGpu();
    const a = (await gpuDraws(g, logits, S(1.5, 0, 1), 3, 32)).map((t) => t.id);
    expect(a).not.toEqual(cpuDraws(logits, S(1.5, 0, 1), 4, 32).ids);
  });

  it('exact ties go to the lowest id, -0 ties +0', async () => {
    const l = Float32Array.from([1, 2, 0, 5, 1, 5, 5, -1]);
    expect(await expectSame(l, S(0, 0, 1), 1, 1)).toEqual([3]);
    // top-k 2 keeps ids 3 and 5 (not 6); top-k 1 only id 3
    const ids = await expectSame(l, S(1, 2, 1), 1, 40);
    expect(new Set(ids)).toEqual(new Set([3, 5]));
    expect(new Set(await expectSame(l, S(1, 1, 1), 2, 8))).toEqual(new Set([3]));
    expect(await expectSame(Float32Array.from([-1, -0, 0, -0]), S(0, 0, 1), 1, 1)).toEqual([1]);
    const flat = new Float32Array(1000).fill(0.25);
    expect(new Set(await expectSame(flat, S(0.7, 3, 1), 5, 40))).toEqual(new Set([0, 1, 2]));
    await expectSame(flat, S(0.7, 0, 0.5), 6, 40);
  });

  it('-inf logits are never drawn; NaN or an infinite max throws NonFiniteError', async () => {
    const l = Float32Array.from([-Infinity, 1, -Infinity, 0.5, -Infinity]);
    expect(new Set(await expectSame(l, S(1, 0, 1), 1, 40))).toEqual(new Set([1, 3]));
    const g = await getGpu();
    for (const bad of [[1, NaN, 2], [1, Infinity, 2], [-Infinity, -Infinity], [NaN]]) {
      await expect(gpuDraws(g, Float32Array.from(bad), S(1, 0, 1), 1, 1)).rejects.toThrow(NonFiniteError);
      await expect(gpuDraws(g, Float32Array.from(bad), S(0, 0, 1), 1, 1)).rejects.toThrow(NonFiniteError);
    }
  });

  it('top-N: the N best ids, their logits and softmax(l / T), beside the same draw', async () => {
    const g = await getGpu();
    for (const [V, s, N] of [[1000, S(0.8, 40, 0.9), 8], [50257, S(0, 0, 1), 16], [7, S(1.5, 0, 1), 7]] as const) {
      const logits = makeLogits('ties', V, 8);
      const got = await gpuDraws(g, logits, s, 8, 4, N);
      expect(got.map((t) => t.id)).toEqual(cpuDraws(logits, s, 8, 4).ids);
      const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b).slice(0, N);
      const T = s.temperature || 1;
      const z = logits.reduce((a, l) => a + Math.exp((l - logits[order[0]]) / T), 0);
      for (const t of got) {
        expect([...t.top!.ids]).toEqual(order);
        expect([...t.top!.logits]).toEqual(order.map((i) => logits[i]));
        t.top!.probs.forEach((p, j) => expect(p).toBeCloseTo(Math.exp((logits[order[j]] - logits[order[0]]) / T) / z, 6));
      }
    }
  });
});

describe('sampling inside the forward (decode reads back the id, not the logits row)', () => {
  it('the same ids as sample() on the logits row, with the topN candidates and the SAE output kept', async () => {
    const g = await getGpu();
    const { cfg, weights } = randomModel({ nLayers: 2, dModel: 96, nHeads: 3, vocab: 1001, nCtx: 80, seed: 7, prefix: true });
    const model = new Gpt2(g, cfg, weights);
    const files = randomSaeLensFiles({ dIn: 96, dSae: 64, hookName: 'blocks.1.hook_resid_pre', arch: 'standard', seed: 3 });
    const saeCfg = parseSaeLensConfig(new TextDecoder().decode(files['cfg.json']));
    model.attachSae(new Sae(g, saeCfg, saeLensWeights(parseSafetensors(files['sae_weights.safetensors'], 'sae.safetensors'), saeCfg)), 8);
    const s = S(0.7, 40, 0.95);
    const sampler = new GpuSampler(g, s, 11, 5);
    const rng = new Rng(11);
    let ids = [5, 17, 300, 42];
    for (let step = 0; step < 10; step++) {
      const a = await model.forward(ids, { slot: 0, sampler });
      const b = await model.forward(ids, { slot: 1 }); // the same tokens, logits read back
      expect(a.logits.length).toBe(0);
      expect(a.sampled!.id).toBe(sample(b.logits, s, rng));
      const order = Array.from({ length: cfg.vocabSize }, (_, i) => i).sort((x, y) => b.logits[y] - b.logits[x] || x - y);
      expect([...a.sampled!.top!.ids]).toEqual(order.slice(0, 5));
      expect([...a.sae!.topIdx]).toEqual([...b.sae!.topIdx]);
      ids = [a.sampled!.id];
    }
    await expect(model.forward([1], { logits: 'all', sampler })).rejects.toThrow(/sampler/);
    sampler.destroy();
    model.sae!.destroy();
    model.destroy();
  });
});
