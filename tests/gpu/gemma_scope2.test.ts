// A Gemma Scope 2 SAE (config.json + params.safetensors, the Hub's layout) on the Gemma 3 fixture
// at blocks.3.hook_resid_post ("model.layers.3.output"): loaded through the Engine as local files,
// its features against the CPU reference on the residual the Engine returns at that hook; the
// steering identities (clamp to the current value, add 0) bit for bit, and a real edit; and the
// typed refusals (another d_model, a layer the model lacks, a transcoder).
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/worker/engine';
import { Decoder } from '../../src/model/decoder';
import { parseDecoderConfig } from '../../src/model/decoder_config';
import { readF32 } from '../../src/gpu/buffers';
import { saeRef } from '../../src/reference/sae';
import { parseGemmaScope2 } from '../../src/sae/gemma_scope2';
import { Sae } from '../../src/sae/sae';
import type { SteeringEntry } from '../../src/kernels/steer';
import { byteTokenizerJson } from '../helpers/byte_tokenizer';
import { randomGemmaScope2Files, type RandomGemmaScope2Spec } from '../helpers/random_sae';
import { buildFromFiles } from '../helpers/load_model';
import { expectClose, expectTopkClose } from '../util';
import { getGpu } from './gpu';

const DIR = '/tests/fixtures/hf/gemma3-seed1/';
const HOOK = 'blocks.3.hook_resid_post';
const C = 96;
const S = 256;
const K = 16;
const SPEC: RandomGemmaScope2Spec = { dIn: C, dSae: S, hookName: HOOK, seed: 21 };

async function get(f: string): Promise<ArrayBuffer> {
  const r = await fetch(DIR + f);
  if (!r.ok) throw new Error(`${f}: HTTP ${r.status}`);
  return r.arrayBuffer();
}

const parse = (files: Record<string, ArrayBuffer>) => parseGemmaScope2(new TextDecoder().decode(files['config.json']), files['params.safetensors']);

async function loadEngine(): Promise<Engine> {
  const engine = new Engine();
  const tokenizer = new TextEncoder().encode(byteTokenizerJson()).buffer as ArrayBuffer;
  const files = { 'config.json': await get('config.json'), 'model.safetensors': await get('model.safetensors'), 'tokenizer.json': tokenizer };
  await engine.load({ kind: 'files', files, weights: 'f32', names: ['google/gemma-3-270m-pt'] });
  return engine;
}

describe('Gemma Scope 2 on Gemma 3 through the Engine', () => {
  it("gives the CPU reference's features on the residual at blocks.3.hook_resid_post", async () => {
    const engine = await loadEngine();
    const files = randomGemmaScope2Files(SPEC);
    const info = await engine.loadSae({ kind: 'files', files, topK: K });
    expect(info.config).toMatchObject({ architecture: 'jumprelu', dIn: C, dSae: S, applyBDecToInput: false, hookName: HOOK, modelName: 'google/gemma-3-270m-pt' });
    expect(info.warnings).toEqual([]);
    const a = await engine.analyze({ text: 'the theme of the sea' });
    const T = a.ids.length;
    const { hooks } = await engine.forward({ ids: a.ids, hooks: [HOOK], logits: 'none' });
    const sae = parse(files);
    const ref = saeRef(sae.cfg, sae.weights, hooks[HOOK], T, K);
    expect(ref.top.val.some((v) => v > 0)).toBe(true);
    expectTopkClose('Gemma Scope 2 top-k', a.topIdx, a.topVal, ref.top);
    expectClose('reconstruction error', a.error, ref.err, 1e-3, 1e-3);
    // add steering at the hook changes the greedy continuation
    const req = { prompt: 'the theme', maxNewTokens: 6, sampling: { temperature: 0, topK: 0, topP: 1 }, seed: 1, stopAtEos: false };
    const both = await engine.generate({ ...req, steering: [{ feature: a.topIdx[0], mode: 'add', value: 200, unit: 'absolute' }] }, () => {});
    expect(both.steered!.ids).not.toEqual(both.baseline!.ids);
    await engine.dispose();
  });

  it('refuses an SAE for another d_model, a deeper layer or a transcoder with typed errors, keeping the loaded SAE', async () => {
    const engine = await loadEngine();
    await engine.loadSae({ kind: 'files', files: randomGemmaScope2Files(SPEC), topK: K });
    const load = (spec: Partial<RandomGemmaScope2Spec>) => engine.loadSae({ kind: 'files', files: randomGemmaScope2Files({ ...SPEC, ...spec }) });
    await expect(load({ dIn: 128 })).rejects.toMatchObject({ name: 'SaeCompatibilityError', message: expect.stringMatching(/d_in is 128 but the model's d_model is 96/) });
    await expect(load({ hookName: 'blocks.6.hook_resid_post' })).rejects.toMatchObject({ name: 'SaeCompatibilityError', message: expect.stringMatching(/layer 6.*layers 0\.\.5/) });
    await expect(load({ config: { type: 'transcoder' } })).rejects.toMatchObject({ name: 'ModelConfigError', message: expect.stringMatching(/config\.json \(field "type"\)/) });
    const other = await load({ modelName: 'google/gemma-3-1b-pt' });
    expect(other.warnings.join(' ')).toMatch(/trained on "google\/gemma-3-1b-pt"/);
    const a = await engine.analyze({ text: 'the sea' });
    expect(a.topVal.some((v) => v > 0)).toBe(true);
    await engine.dispose();
  });
});

describe('steering a Gemma Scope 2 SAE on the Gemma 3 decoder', () => {
  it('clamping a feature to its current value, or adding 0, leaves the logits bit for bit; a real add moves them', async () => {
    const gpu = await getGpu();
    const cfg = parseDecoderConfig(new TextDecoder().decode(await get('config.json')));
    const { model } = await buildFromFiles(gpu, { 'config.json': await get('config.json'), 'model.safetensors': await get('model.safetensors') });
    const sae = parse(randomGemmaScope2Files(SPEC));
    model.attachSae(new Sae(gpu, sae.cfg, sae.weights), K);
    const ids = [2, 116, 104, 101, 32, 115, 101, 97];
    const bits = (x: Float32Array) => new Uint32Array(x.slice().buffer);
    const run = async (tokens: number[], entries: SteeringEntry[] | null) => {
      if (entries) model.setSteering(entries);
      model.reset();
      return model.forward(tokens, { logits: 'all', steer: entries !== null });
    };
    const base = await run(ids, null);
    const first = await run(ids.slice(0, 1), null);
    const feat = first.sae!.topIdx[0];
    const f0 = first.sae!.topVal[0];
    expect(f0).toBeGreaterThan(0);
    // T = 1: the feature's own value; every token: a feature that is 0 at all of them, clamped to 0
    model.reset();
    await model.forward(ids, { logits: 'none' });
    const f = await readF32(gpu.device, model.saeActs!.f, ids.length * S);
    const zero = Array.from({ length: S }, (_, i) => i).find((i) => ids.every((_, t) => f[t * S + i] === 0));
    expect(zero).toBeDefined();
    expect(bits((await run(ids.slice(0, 1), [{ feature: feat, mode: 'clamp', value: f0, from: 0 }])).logits)).toEqual(bits(first.logits));
    expect(bits((await run(ids, [{ feature: zero!, mode: 'clamp', value: 0, from: 0 }])).logits)).toEqual(bits(base.logits));
    expect(bits((await run(ids, [{ feature: feat, mode: 'add', value: 0, from: 0 }])).logits)).toEqual(bits(base.logits));
    expect(bits((await run(ids, [{ feature: feat, mode: 'add', value: 20, from: 0 }])).logits)).not.toEqual(bits(base.logits));
    expect(bits((await run(ids, [{ feature: feat, mode: 'clamp', value: f0 + 5, from: 0 }])).logits)).not.toEqual(bits(base.logits));
    model.sae!.destroy();
    model.destroy();
  });
});
