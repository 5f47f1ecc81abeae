// The SAE inside the forward pass, through the Engine: every architecture and normalization,
// SAELens v6 and pre-v6 configs and Gemma Scope npz, against the CPU reference (gpt2Ref for the
// residual at the hook, then saeRef); steering against a CPU reference of the same edit; the
// identities (clamp to the current value, add 0) bit for bit; compatibility errors.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/worker/engine';
import { gpt2Ref } from '../../src/reference/gpt2';
import { saeRef } from '../../src/reference/sae';
import { steerRef } from '../../src/reference/steer';
import { parseGpt2Config } from '../../src/model/config';
import { parseSafetensors } from '../../src/model/safetensors';
import { gpt2Weights } from '../../src/model/weights';
import { parseSaeLensConfig, saeLensWeights } from '../../src/sae/formats';
import { parseGemmaScopeNpz } from '../../src/sae/npz';
import { Gpt2 } from '../../src/model/gpt2';
import { Sae } from '../../src/sae/sae';
import { NO_FEATURE } from '../../src/kernels/sae_topk';
import type { SteeringEntry } from '../../src/kernels/steer';
import type { SaeArchitecture } from '../../src/kernels/sae_encode';
import type { NormalizeActivations } from '../../src/kernels/sae_norm';
import { expectClose, expectTopkClose } from '../util';
import { randomModelSource } from '../helpers/files_source';
import { randomGemmaScopeNpz, randomSaeLensFiles, type RandomSaeSpec } from '../helpers/random_sae';
import { getGpu } from './gpu';
import { readF32 } from '../../src/gpu/buffers';

const C = 96;
const S = 300;
const K = 16;

function modelFromSource(source: ReturnType<typeof randomModelSource>) {
  const cfg = parseGpt2Config(new TextDecoder().decode(source.files['config.json']));
  return { cfg, weights: gpt2Weights(parseSafetensors(source.files['model.safetensors'], 'model.safetensors'), cfg) };
}

function saeFromFiles(files: Record<string, ArrayBuffer>) {
  const cfg = parseSaeLensConfig(new TextDecoder().decode(files['cfg.json']));
  return { cfg, weights: saeLensWeights(parseSafetensors(files['sae_weights.safetensors'], 'sae_weights.safetensors'), cfg) };
}

describe('SAE in the forward pass (Engine.analyze)', () => {
  const cases: Array<[SaeArchitecture, NormalizeActivations, boolean, boolean]> = [
    ['standard', 'none', false, false],
    ['standard', 'constant_norm_rescale', true, true], // centred, pre-v6 cfg
    ['jumprelu', 'none', false, false],
    ['topk', 'layer_norm', false, true], // OpenAI-style TopK, pre-v6 cfg with activation_fn_kwargs
    ['gated', 'expected_average_only_in', true, false],
  ];
  for (const [arch, norm, center, legacy] of cases) {
    it(`${arch}, ${norm}${center ? ', TransformerLens-centred' : ''}${legacy ? ', pre-v6 cfg' : ''}`, async () => {
      const engine = new Engine();
      const source = randomModelSource(3);
      await engine.load(source);
      const spec: RandomSaeSpec = { dIn: C, dSae: S, hookName: 'blocks.1.hook_resid_pre', arch, seed: 7, k: 12, norm, center, legacy };
      const files = randomSaeLensFiles(spec);
      const info = await engine.loadSae({ kind: 'files', files, topK: K, overrides: norm === 'expected_average_only_in' ? { normScalingFactor: 0.5 } : {} });
      expect(info.config).toMatchObject({ architecture: arch, normalizeActivations: norm, centerWritingWeights: center });
      const text = 'the cat sat on the mat';
      const res = await engine.analyze({ text });
      const T = res.ids.length;
      const { cfg, weights } = modelFromSource(source);
      const resid = gpt2Ref(cfg, weights, res.ids).hooks['blocks.1.hook_resid_pre'];
      const sae = saeFromFiles(files);
      if (norm === 'expected_average_only_in') sae.cfg.normScalingFactor = 0.5;
      const ref = saeRef(sae.cfg, sae.weights, resid, T, K);
      expect(res.k).toBe(K);
      expectTopkClose('top-k', res.topIdx, res.topVal, ref.top);
      expectClose('error', res.error, ref.err, 1e-3, 1e-3);
      // full per-token vectors of chosen features
      const ids = [0, S - 1, ref.top.idx[0] === NO_FEATURE ? 5 : ref.top.idx[0]];
      const acts = await engine.featureActivations(ids);
      const want = Float32Array.from({ length: T * ids.length }, (_, i) => ref.f[Math.floor(i / ids.length) * S + ids[i % ids.length]]);
      expectClose('featureActivations', acts.values, want, 1e-3, 1e-3);
      // still right after a generation has used the GPU's buffers
      await engine.generate({ prompt: 'a', maxNewTokens: 2, sampling: { temperature: 0, topK: 0, topP: 1 }, seed: 0 }, () => {});
      expectClose('featureActivations after generate', (await engine.featureActivations(ids)).values, want, 1e-3, 1e-3);
      await engine.dispose();
    });
  }

  it('Gemma Scope params.npz (JumpReLU, no b_dec subtraction)', async () => {
    const engine = new Engine();
    const source = randomModelSource(4);
    await engine.load(source);
    const npz = randomGemmaScopeNpz({ dIn: C, dSae: S, hookName: 'blocks.0.hook_resid_post', arch: 'jumprelu', seed: 9 });
    const info = await engine.loadSae({ kind: 'files', files: { 'params.npz': npz }, overrides: { hookName: 'blocks.0.hook_resid_post' }, topK: K });
    expect(info.config).toMatchObject({ architecture: 'jumprelu', applyBDecToInput: false, hookName: 'blocks.0.hook_resid_post' });
    const res = await engine.analyze({ text: 'the ocean' });
    const { cfg, weights } = modelFromSource(source);
    const resid = gpt2Ref(cfg, weights, res.ids).hooks['blocks.0.hook_resid_post'];
    const sae = parseGemmaScopeNpz(npz, 'blocks.0.hook_resid_post');
    const ref = saeRef(sae.cfg, sae.weights, resid, res.ids.length, K);
    expectTopkClose('npz top-k', res.topIdx, res.topVal, ref.top);
    await engine.dispose();
  });
});

describe('steering', () => {
  async function setup() {
    const gpu = await getGpu();
    const source = randomModelSource(5);
    const { cfg, weights } = modelFromSource(source);
    const files = randomSaeLensFiles({ dIn: C, dSae: S, hookName: 'blocks.1.hook_resid_pre', arch: 'standard', seed: 3 });
    const sae = saeFromFiles(files);
    const model = new Gpt2(gpu, cfg, weights);
    model.attachSae(new Sae(gpu, sae.cfg, sae.weights), K);
    return { model, cfg, weights, sae };
  }
  const ids = [116, 257, 32, 99, 97, 116];

  it('clamping a feature to its current value, or adding 0, gives bit-identical logits', async () => {
    const { model } = await setup();
    const base = await model.forward(ids, { logits: 'all' });
    const baseBits = new Uint32Array(base.logits.slice().buffer);
    const firstToken = await (async () => {
      model.reset();
      return model.forward(ids.slice(0, 1), { logits: 'all' });
    })();
    const f0 = firstToken.sae!.topVal[0];
    const feat = firstToken.sae!.topIdx[0];
    // T = 1: the feature's current value exactly; several tokens: a feature that is 0 everywhere, clamped to 0.
    model.reset();
    await model.forward(ids, { logits: 'none' });
    const f = await readF32(model.gpu.device, model.saeActs!.f, ids.length * S);
    const zeroFeature = Array.from({ length: S }, (_, i) => i).find((i) => ids.every((_, t) => f[t * S + i] === 0))!;
    expect(zeroFeature).toBeDefined();
    const check = async (tokens: number[], entries: SteeringEntry[], ref: Uint32Array) => {
      model.setSteering(entries);
      model.reset();
      const steered = await model.forward(tokens, { logits: 'all', steer: true });
      expect(new Uint32Array(steered.logits.slice().buffer)).toEqual(ref);
    };
    await check(ids.slice(0, 1), [{ feature: feat, mode: 'clamp', value: f0, from: 0 }], new Uint32Array(firstToken.logits.slice().buffer));
    await check(ids, [{ feature: 7, mode: 'add', value: 0, from: 0 }], baseBits);
    await check(ids, [{ feature: zeroFeature, mode: 'clamp', value: 0, from: 0 }], baseBits);
    // and a real edit changes them
    model.setSteering([{ feature: feat, mode: 'clamp', value: f0 + 5, from: 0 }]);
    model.reset();
    const moved = await model.forward(ids, { logits: 'all', steer: true });
    expect(new Uint32Array(moved.logits.slice().buffer)).not.toEqual(baseBits);
    model.sae!.destroy();
    model.destroy();
  });

  it('clamp, add, orthogonal and cap, each over a range of positions, match the CPU reference of the same edit', async () => {
    const { model, cfg, weights, sae } = await setup();
    const entries: SteeringEntry[] = [
      { feature: 11, mode: 'clamp', value: 8, from: 0 },
      { feature: 250, mode: 'add', value: -3, from: 2 },
      { feature: 40, mode: 'orthogonal', value: 6, from: 1, to: 4 },
      { feature: 41, mode: 'cap', value: -0.5, from: 0, to: 5 },
    ];
    model.setSteering(entries);
    const got = await model.forward(ids, { logits: 'all', steer: true, hooks: ['blocks.1.hook_resid_post'] });
    const T = ids.length;
    const ref = gpt2Ref(cfg, weights, ids, (hook, x) => {
      if (hook !== 'blocks.1.hook_resid_pre') return x;
      const s = saeRef(sae.cfg, sae.weights, x, T, K);
      return steerRef(x, s.f, sae.weights.get('W_dec')!, s.stats, entries, T, C, S, 0);
    });
    expectClose('steered logits', got.logits, ref.logits, 1e-3, 0);
    expectClose('steered resid_post', got.hooks['blocks.1.hook_resid_post'], ref.hooks['blocks.1.hook_resid_post'], 1e-4, 1e-4);
    model.sae!.destroy();
    model.destroy();
  });
});

describe('Engine: steered generation and SAE compatibility', () => {
  it('steered and baseline stream side by side with the same seed; the baseline is what plain generation gives', async () => {
    const engine = new Engine();
    await engine.load(randomModelSource(6));
    const files = randomSaeLensFiles({ dIn: C, dSae: S, hookName: 'blocks.1.hook_resid_mid', arch: 'standard', seed: 4 });
    await engine.loadSae({ kind: 'files', files, maxActivations: new Float32Array(S).fill(2) });
    const req = { prompt: 'the', maxNewTokens: 8, sampling: { temperature: 0.8, topK: 0, topP: 1 }, seed: 11, stopAtEos: false };
    const plain = await engine.generate(req, () => {});
    expect(plain.steered).toBeNull();
    const streams: string[] = [];
    const both = await engine.generate({ ...req, steering: [{ feature: 3, mode: 'add', value: 20, unit: 'max_act' }] }, (e) => {
      if (e.type === 'token') streams.push(e.stream);
    });
    expect(both.baseline!.ids).toEqual(plain.baseline!.ids);
    expect(both.steered!.ids).not.toEqual(both.baseline!.ids);
    expect(streams.slice(0, 4)).toEqual(['baseline', 'steered', 'baseline', 'steered']);
    await expect(engine.generate({ ...req, steering: [{ feature: S, mode: 'clamp', value: 1, unit: 'absolute' }] }, () => {})).rejects.toThrow(/features 0\.\.299/);
    // a strength that overflows f32 is a typed error under every sampling setting; the engine carries on
    const huge = [{ feature: 3, mode: 'add' as const, value: 3e38, unit: 'absolute' as const }];
    for (const sampling of [{ temperature: 0, topK: 0, topP: 1 }, { temperature: 0.8, topK: 40, topP: 0.95 }]) {
      await expect(engine.generate({ ...req, sampling, steering: huge }, () => {})).rejects.toMatchObject({ name: 'NonFiniteError' });
    }
    expect((await engine.generate(req, () => {})).baseline!.ids).toEqual(plain.baseline!.ids);
    // the steered stream alone (the page keeps the baseline) is the same steered stream
    const alone = await engine.generate({ ...req, baseline: false, steering: [{ feature: 3, mode: 'add', value: 20, unit: 'max_act' }] }, () => {});
    expect(alone.baseline).toBeNull();
    expect(alone.steered!.ids).toEqual(both.steered!.ids);
    await expect(engine.generate({ ...req, baseline: false }, () => {})).rejects.toMatchObject({ name: 'EngineStateError' });
    await engine.dispose();
  });

  it('steering positions: generated tokens only leaves the prompt pass (so the first token) alone; the prompt only steers the prompt', async () => {
    const engine = new Engine();
    await engine.load(randomModelSource(6));
    const files = randomSaeLensFiles({ dIn: C, dSae: S, hookName: 'blocks.1.hook_resid_pre', arch: 'standard', seed: 4 });
    await engine.loadSae({ kind: 'files', files });
    const req = { prompt: 'the cat', maxNewTokens: 8, sampling: { temperature: 0, topK: 0, topP: 1 }, seed: 1, stopAtEos: false };
    const steering = [{ feature: 3, mode: 'add' as const, value: 60, unit: 'absolute' as const }];
    const at = async (positions: 'all' | 'prompt' | 'generated') => (await engine.generate({ ...req, steering, steerAt: { positions, skipBos: false } }, () => {}));
    const all = await at('all');
    const gen = await at('generated');
    const prompt = await at('prompt');
    const base = all.baseline!.ids;
    expect(all.steered!.ids).not.toEqual(base);
    expect(gen.steered!.ids[0]).toBe(base[0]);
    expect(gen.steered!.ids).not.toEqual(base);
    // steering the prompt alone moves the first token as steering everywhere does (the same prompt pass)
    expect(prompt.steered!.ids[0]).toBe(all.steered!.ids[0]);
    await engine.dispose();
  });

  it('refuses an SAE for another d_model or a missing layer, and warns on another model name', async () => {
    const engine = new Engine();
    await engine.load({ ...randomModelSource(6), names: ['random-gpt2'] });
    const load = (spec: Partial<RandomSaeSpec>) =>
      engine.loadSae({ kind: 'files', files: randomSaeLensFiles({ dIn: C, dSae: 64, hookName: 'blocks.0.hook_resid_pre', arch: 'standard', seed: 1, ...spec }) });
    await expect(load({ dIn: 768 })).rejects.toMatchObject({ name: 'SaeCompatibilityError', message: expect.stringMatching(/d_in is 768 but the model's d_model is 96/) });
    await expect(load({ hookName: 'blocks.5.hook_resid_pre' })).rejects.toMatchObject({ name: 'SaeCompatibilityError', message: expect.stringMatching(/layer 5.*layers 0\.\.1/) });
    await expect(load({ hookName: 'blocks.0.attn.hook_z' })).rejects.toMatchObject({ name: 'SaeCompatibilityError' });
    await expect(load({ dSae: 66 })).rejects.toMatchObject({ name: 'SaeCompatibilityError', message: expect.stringMatching(/d_sae 66/) });
    const other = await load({ modelName: 'gemma-2-2b' });
    expect(other.warnings.join(' ')).toMatch(/trained on "gemma-2-2b"/);
    expect((await load({})).warnings).toEqual([]);
    // a refused SAE leaves the loaded one working
    await expect(load({ dSae: 66 })).rejects.toMatchObject({ name: 'SaeCompatibilityError' });
    await expect(load({ dIn: 768 })).rejects.toMatchObject({ name: 'SaeCompatibilityError' });
    const res = await engine.analyze({ text: 'the sea' });
    expect(res.ids.length).toBeGreaterThan(0);
    expect(Array.from(res.topIdx).some((i) => i !== NO_FEATURE)).toBe(true);
    await engine.dispose();
  });
});
