// Engine.attribute: the engine's feature attribution (its own model weights, whatever their
// dtype) against featureAttribution on a Gpt2 (or a Decoder: Gemma 2's fixture) built in the test
// from the same files; the target defaults and refusals.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/worker/engine';
import { parseGpt2Config } from '../../src/model/config';
import { parseSafetensors } from '../../src/model/safetensors';
import { gpt2Weights } from '../../src/model/weights';
import { Gpt2 } from '../../src/model/gpt2';
import { Sae } from '../../src/sae/sae';
import { parseSaeLensConfig, saeLensWeights } from '../../src/sae/formats';
import { featureAttribution } from '../../src/model/attribution';
import { randomModelSource } from '../helpers/files_source';
import { randomSaeLensFiles } from '../helpers/random_sae';
import { byteTokenizerJson } from '../helpers/byte_tokenizer';
import { buildFromFiles } from '../helpers/load_model';
import type { Decoder } from '../../src/model/decoder';
import { getGpu } from './gpu';

const HOOK = 'blocks.1.hook_resid_pre';

describe('Engine.attribute', () => {
  it('matches featureAttribution on the same weights; defaults to the top prediction; logit differences; refusals keep the engine usable', async () => {
    const source = randomModelSource(6, 48);
    const saeFiles = randomSaeLensFiles({ dIn: 96, dSae: 300, hookName: HOOK, arch: 'standard', seed: 4 });
    const engine = new Engine();
    await engine.load({ ...source, weights: 'f32' });
    await expect(engine.attribute({ text: 'no sae yet' })).rejects.toThrow(/No SAE is loaded/);
    await engine.loadSae({ kind: 'files', files: saeFiles, topK: 8 });
    const text = 'the quick brown fox jumps';
    const res = await engine.attribute({ text, limit: 50 });
    const T = res.ids.length;
    expect(res.position).toBe(T - 1);
    expect(res.token).toBe(res.candidates[0].id);
    expect(res.candidates.length).toBe(10);
    for (let i = 1; i < 10; i++) expect(res.candidates[i].prob).toBeLessThanOrEqual(res.candidates[i - 1].prob);
    expect(res.features.length).toBe(50);
    expect(res.total.length).toBe(T);

    // the same computation outside the engine
    const gpu = await getGpu();
    const cfg = parseGpt2Config(new TextDecoder().decode(source.files['config.json']));
    const w = gpt2Weights(parseSafetensors(source.files['model.safetensors'], 'model.safetensors'), cfg);
    const saeCfg = parseSaeLensConfig(new TextDecoder().decode(saeFiles['cfg.json']));
    const model = new Gpt2(gpu, cfg, w);
    model.attachSae(new Sae(gpu, saeCfg, saeLensWeights(parseSafetensors(saeFiles['sae_weights.safetensors'], 'sae_weights.safetensors'), saeCfg)), 8);
    const ref = await featureAttribution(model, res.ids, { position: T - 1, token: res.token }, { limit: 50 });
    expect(res.target).toBeCloseTo(ref.target, 4);
    const scale = Math.abs(ref.features[0].attribution);
    res.features.slice(0, 10).forEach((e, i) => {
      expect([e.feature, e.position]).toEqual([ref.features[i].feature, ref.features[i].position]);
      expect(Math.abs(e.attribution - ref.features[i].attribution)).toBeLessThan(1e-4 * scale);
    });

    // a logit difference at an earlier position: only the tokens up to it run
    const diff = await engine.attribute({ text, position: 3, token: res.candidates[1].id, minusToken: res.candidates[2].id });
    const fwd = await engine.forward({ ids: res.ids.slice(0, 4), logits: 'all' });
    const V = fwd.logits.length / 4;
    expect(diff.target).toBeCloseTo(fwd.logits[3 * V + res.candidates[1].id] - fwd.logits[3 * V + res.candidates[2].id], 3);
    expect(diff.features.every((e) => e.position <= 3)).toBe(true);
    expect(diff.minusPiece).not.toBeNull();
    expect([...diff.total.subarray(4)].every((v) => v === 0)).toBe(true);

    await expect(engine.attribute({ text, position: T })).rejects.toThrow(/position must be 0\.\./);
    await expect(engine.attribute({ text, token: 1e9 })).rejects.toThrow(/token must be a token id/);
    await expect(engine.attribute({ text, limit: 0 })).rejects.toThrow(/limit must be 1\.\./);
    expect((await engine.attribute({ text, limit: 5 })).features.length).toBe(5); // still works after refusals
    model.destroy();
    await engine.dispose();
  });

  it('an f16 model: the backward reads the f16 matrices as the forward does and agrees with the f32 run', async () => {
    const source = randomModelSource(3, 48);
    const saeFiles = randomSaeLensFiles({ dIn: 96, dSae: 300, hookName: HOOK, arch: 'standard', seed: 2 });
    const runs = [];
    for (const weights of ['f32', 'f16'] as const) {
      const engine = new Engine();
      await engine.load({ ...source, weights }, undefined, { kind: 'files', files: saeFiles, topK: 8 });
      runs.push(await engine.attribute({ text: 'a half precision model', limit: 5 }));
      await engine.dispose();
    }
    const [a, b] = runs;
    expect(b.token).toBe(a.token);
    const scale = Math.abs(a.features[0].attribution);
    // f16 storage rounds the weights (2^-11 relative): the attributions move by about that
    expect(Math.abs(b.features[0].attribution - a.features[0].attribution)).toBeLessThan(2e-2 * scale);
    expect(b.features[0].feature).toBe(a.features[0].feature);
  });

  it('a modern decoder (Gemma 2: sandwich norms, soft-caps, tied head, embed scale): matches featureAttribution on a Decoder; the logit-difference target is the forward\'s', async () => {
    const get = async (f: string) => {
      const r = await fetch(`/tests/fixtures/hf/gemma2-seed1/${f}`);
      if (!r.ok) throw new Error(`${f}: HTTP ${r.status}`);
      return r.arrayBuffer();
    };
    const files: Record<string, ArrayBuffer> = {
      'config.json': await get('config.json'),
      'model.safetensors': await get('model.safetensors'),
      'tokenizer.json': new TextEncoder().encode(byteTokenizerJson()).buffer as ArrayBuffer,
    };
    const hook = 'blocks.2.hook_resid_pre';
    const saeFiles = randomSaeLensFiles({ dIn: 96, dSae: 200, hookName: hook, arch: 'standard', seed: 5 });
    const engine = new Engine();
    await engine.load({ kind: 'files', files, weights: 'f32' }, undefined, { kind: 'files', files: saeFiles, topK: 8 });
    const text = 'the theme of it';
    const res = await engine.attribute({ text, limit: 30 });
    const T = res.ids.length;
    expect(res.hook).toBe(hook);
    expect(res.token).toBe(res.candidates[0].id);
    expect(res.features.length).toBeGreaterThan(0);
    expect(res.features.some((e) => e.attribution !== 0)).toBe(true);

    // the same computation on a Decoder built in the test from the same files
    const gpu = await getGpu();
    const model = (await buildFromFiles(gpu, files)).model as Decoder;
    const saeCfg = parseSaeLensConfig(new TextDecoder().decode(saeFiles['cfg.json']));
    model.attachSae(new Sae(gpu, saeCfg, saeLensWeights(parseSafetensors(saeFiles['sae_weights.safetensors'], 'sae_weights.safetensors'), saeCfg)), 8);
    const ref = await featureAttribution(model, res.ids, { position: T - 1, token: res.token }, { limit: 30 });
    expect(res.target).toBeCloseTo(ref.target, 4);
    expect(res.active).toBe(ref.active);
    const scale = Math.abs(ref.features[0].attribution);
    res.features.slice(0, 10).forEach((e, i) => {
      expect([e.feature, e.position]).toEqual([ref.features[i].feature, ref.features[i].position]);
      expect(Math.abs(e.attribution - ref.features[i].attribution)).toBeLessThan(1e-4 * scale);
    });
    const dlaScale = Math.abs(ref.direct[0].dla);
    res.direct.slice(0, 5).forEach((e, i) => {
      expect(e.feature).toBe(ref.direct[i].feature);
      expect(Math.abs(e.dla - ref.direct[i].dla)).toBeLessThan(1e-4 * dlaScale);
    });

    // a logit difference at an earlier position, after Gemma 2's final soft-cap: the forward's logits
    const diff = await engine.attribute({ text, position: 3, token: res.candidates[1].id, minusToken: res.candidates[2].id });
    const fwd = await engine.forward({ ids: res.ids.slice(0, 4), logits: 'all' });
    const V = fwd.logits.length / 4;
    expect(diff.target).toBeCloseTo(fwd.logits[3 * V + res.candidates[1].id] - fwd.logits[3 * V + res.candidates[2].id], 4);
    expect(diff.features.every((e) => e.position <= 3)).toBe(true);
    const ref2 = await featureAttribution(model, res.ids.slice(0, 4), { position: 3, token: res.candidates[1].id, minusToken: res.candidates[2].id });
    expect(diff.target).toBeCloseTo(ref2.target, 4);
    expect([diff.features[0].feature, diff.features[0].position]).toEqual([ref2.features[0].feature, ref2.features[0].position]);
    expect(Math.abs(diff.features[0].attribution - ref2.features[0].attribution)).toBeLessThan(1e-4 * Math.abs(ref2.features[0].attribution));
    model.destroy();
    await engine.dispose();
  });
});
