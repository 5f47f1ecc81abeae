// A modern decoder through the Engine, as a user loads one: a Gemma 3 checkpoint sharded the way
// the Hub ships large models (model.safetensors.index.json + shards, bf16), an SAE at one of its
// residual hooks, steering, and the typed errors of a broken sharded checkpoint.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/worker/engine';
import { parseSafetensors, writeSafetensors, toFloat32 } from '../../src/model/safetensors';
import { randomSaeLensFiles } from '../helpers/random_sae';
import { byteTokenizerJson } from '../helpers/byte_tokenizer';
import { compare } from '../util';

const DIR = '/tests/fixtures/hf/gemma3-seed1/';
const get = async (f: string) => {
  const r = await fetch(DIR + f);
  if (!r.ok) throw new Error(`${f}: HTTP ${r.status}`);
  return r.arrayBuffer();
};
const buf = (u: Uint8Array) => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;

/** The fixture split into `n` shards (round-robin by tensor) with the index the Hub writes; f32 values. */
async function shardedFiles(n: number, weightsFile = 'model.safetensors'): Promise<Record<string, ArrayBuffer>> {
  const st = parseSafetensors(await get(weightsFile), weightsFile);
  const shards: Array<Record<string, { shape: number[]; data: Float32Array }>> = Array.from({ length: n }, () => ({}));
  const weightMap: Record<string, string> = {};
  const name = (i: number) => `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;
  [...st.tensors.values()].forEach((t, i) => {
    shards[i % n][t.name] = { shape: t.shape, data: toFloat32(t) };
    weightMap[t.name] = name(i % n);
  });
  const files: Record<string, ArrayBuffer> = {
    'config.json': await get('config.json'),
    'tokenizer.json': buf(new TextEncoder().encode(byteTokenizerJson())),
    'model.safetensors.index.json': buf(new TextEncoder().encode(JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }))),
  };
  shards.forEach((s, i) => (files[name(i)] = buf(writeSafetensors(s))));
  return files;
}

describe('a Gemma 3 checkpoint through the Engine', () => {
  it('loads from 3 shards and gives transformers\' logits and residuals', async () => {
    const ref = JSON.parse(new TextDecoder().decode(await get('reference.json')));
    const engine = new Engine();
    const info = await engine.load({ kind: 'files', files: await shardedFiles(3), weights: 'f32' });
    expect(info.config).toMatchObject({ modelType: 'decoder', family: 'gemma3', nLayers: 6, dModel: 96 });
    const res = await engine.forward({ ids: ref.input_ids, logits: 'all', hooks: ['blocks.2.hook_resid_post'] });
    const want = Float32Array.from(ref.logits.flat());
    const maxAbs = want.reduce((m: number, v: number) => Math.max(m, Math.abs(v)), 0);
    expect(compare(res.logits, want, 1e-4 * maxAbs, 0).bad).toBe(0);
    expect(compare(res.hooks['blocks.2.hook_resid_post'], Float32Array.from(ref.resid_post[2].flat()), 1e-4, 0).bad).toBe(0);
    await engine.dispose();
  });

  it('runs an SAE at blocks.2.hook_resid_post: features per token, clamp steering that changes the output, and refuses an SAE for another width', async () => {
    const engine = new Engine();
    await engine.load({ kind: 'files', files: await shardedFiles(2) });
    const files = randomSaeLensFiles({ dIn: 96, dSae: 200, hookName: 'blocks.2.hook_resid_post', arch: 'jumprelu', seed: 3 });
    await engine.loadSae({ kind: 'files', files, topK: 8 });
    const a = await engine.analyze({ text: 'the theme' });
    expect(a.ids.length).toBeGreaterThan(2);
    expect(a.topVal.some((v) => v > 0)).toBe(true);
    const req = { prompt: 'the theme', maxNewTokens: 6, sampling: { temperature: 0, topK: 0, topP: 1 }, seed: 1, stopAtEos: false };
    const feature = a.topIdx[0];
    const both = await engine.generate({ ...req, steering: [{ feature, mode: 'add', value: 200, unit: 'absolute' }] }, () => {});
    expect(both.baseline!.ids.length).toBe(6);
    expect(both.steered!.ids).not.toEqual(both.baseline!.ids);
    const other = randomSaeLensFiles({ dIn: 128, dSae: 50, hookName: 'blocks.1.hook_resid_post', arch: 'standard', seed: 1 });
    await expect(engine.loadSae({ kind: 'files', files: other })).rejects.toMatchObject({ name: 'SaeCompatibilityError' });
    await engine.dispose();
  });

  it('names the missing shard, and a shard with a wrong shape, with typed errors', async () => {
    const engine = new Engine();
    const files = await shardedFiles(2);
    const missing = { ...files };
    delete missing['model-00002-of-00002.safetensors'];
    await expect(engine.load({ kind: 'files', files: missing })).rejects.toMatchObject({ name: 'ModelFileError', message: expect.stringContaining('model-00002-of-00002.safetensors') });
    const cfg = JSON.parse(new TextDecoder().decode(files['config.json']));
    const wrong = { ...files, 'config.json': buf(new TextEncoder().encode(JSON.stringify({ ...cfg, intermediate_size: 164 }))) };
    await expect(engine.load({ kind: 'files', files: wrong })).rejects.toMatchObject({ name: 'ModelFileError', message: expect.stringMatching(/mlp\.(gate|up|down)_proj\.weight/) });
    await engine.dispose();
  });
});
