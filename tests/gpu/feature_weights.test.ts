// A feature's logits and decoder-cosine neighbours from the weights (src/sae/feature_weights.ts):
// the GPU path (the `logits` kernel over W_U reading W_dec's row in place, `row_cosine` over
// W_dec, one readback, top k on the CPU) against the plain-loop reference, on seeded random
// weights with awkward shapes, W_U split in row parts and stored as f16, in both launch shapes;
// then through the Engine for GPT-2 (f32 and f16, a normalizing, centred SAE) and the modern
// decoder family (a tied Gemma 3 and an untied Llama).
import { describe, expect, it } from 'vitest';
import { uploadTensor } from '../../src/gpu/buffers';
import { roundToHalf } from '../../src/gpu/f16';
import { Rng } from '../../src/model/rng';
import { parseSafetensors, toFloat32, writeSafetensors } from '../../src/model/safetensors';
import { TextTokenizer } from '../../src/model/tokenizer';
import { featureWeightsRef } from '../../src/reference/feature_weights';
import { featureWeights, topK } from '../../src/sae/feature_weights';
import { Engine } from '../../src/worker/engine';
import { BYTE_TOKENIZER_CONFIG, byteTokenizerJson } from '../helpers/byte_tokenizer';
import { randomModelSource } from '../helpers/files_source';
import { randomSaeLensFiles, randomSaeTensors, type RandomSaeSpec } from '../helpers/random_sae';
import { expectClose } from '../util';
import { ADAPTER_CLASSES, getGpu, upload } from './gpu';

type Ranked = { id: number; value: number };

/** Same length, values within tolerance, and the same ids wherever the reference's order is not a near-tie. */
function expectRanked(name: string, got: Ranked[], ref: Ranked[], atol = 1e-5, rtol = 1e-4) {
  expect(got.length, `${name}: length`).toBe(ref.length);
  expectClose(`${name} values`, got.map((g) => g.value), ref.map((r) => r.value), atol, rtol);
  for (let i = 0; i < ref.length; i++) {
    const tol = 4 * (atol + rtol * Math.abs(ref[i].value));
    const nearTie = [i - 1, i + 1].some((j) => j >= 0 && j < ref.length && Math.abs(ref[j].value - ref[i].value) < tol);
    if (!nearTie) expect(got[i].id, `${name}: id at ${i}`).toBe(ref[i].id);
  }
}

describe('featureWeights on the GPU against the reference', () => {
  // V not a multiple of anything, below k, split in parts of 30/100/7 rows; S = 1 (no neighbours),
  // S < k; C/4 below, at and above 32 lanes; the first, a middle and the last feature.
  const shapes: Array<[S: number, C: number, V: number, maxRows: number, feature: number, k: number]> = [
    [300, 96, 1001, 1001, 0, 10],
    [37, 36, 77, 30, 36, 5],
    [5, 516, 259, 100, 2, 10],
    [64, 128, 7, 7, 31, 10],
    [1, 20, 33, 7, 0, 3],
  ];
  for (const cls of ADAPTER_CLASSES) {
    for (const dtype of ['f32', 'f16'] as const) {
      for (const [S, C, V, maxRows, feature, k] of shapes) {
        it(`${cls} variant, W_U ${dtype} (${V}, ${C}) in parts of ${maxRows} rows, S=${S}, feature ${feature}, k=${k}`, async () => {
          const g = await getGpu(cls);
          const rng = new Rng(S + 3 * C + V + feature);
          const wDec = rng.array(S * C, 0.2);
          const wU = rng.array(V * C, 0.5);
          const unembed = uploadTensor(g.device, 'W_U', [V, C], wU, maxRows * C * (dtype === 'f16' ? 2 : 4), dtype);
          expect(unembed.parts.length).toBe(Math.ceil(V / maxRows));
          const got = await featureWeights(g, { wDec: upload(g, wDec), unembed, S, C, V, feature, k });
          const ref = featureWeightsRef(wDec, dtype === 'f16' ? roundToHalf(wU) : wU, S, C, V, feature, k);
          expect(got.norm).toBeCloseTo(ref.norm, 5);
          expectRanked('top logits', got.top, ref.top);
          expectRanked('bottom logits', got.bottom, ref.bottom);
          expectRanked('neighbours', got.neighbours, ref.neighbours, 1e-6, 1e-5);
          expect(got.neighbours.some((n) => n.id === feature)).toBe(false);
        });
      }
    }

    it(`${cls} variant: a planted direction and its parallel twin; a zero decoder row has no direction`, async () => {
      const g = await getGpu(cls);
      const [S, C, V] = [50, 64, 211];
      const rng = new Rng(5);
      const wDec = rng.array(S * C, 0.2);
      const wU = rng.array(V * C, 0.1);
      const row = (a: Float32Array, i: number) => a.subarray(i * C, (i + 1) * C);
      row(wU, 150).set(row(wU, 150).map((v) => v * 20)); // token 150: a long unembedding row
      row(wDec, 7).set(row(wU, 150).map((v, c) => 3 * v + 0.01 * row(wDec, 7)[c])); // feature 7 writes token 150
      row(wDec, 42).set(row(wDec, 7).map((v) => 0.25 * v)); // feature 42: the same direction, shorter
      row(wDec, 8).set(row(wDec, 7).map((v) => -v)); // feature 8: the opposite one
      row(wDec, 3).fill(0);
      const unembed = uploadTensor(g.device, 'W_U', [V, C], wU, Infinity, 'f32');
      const w = upload(g, wDec);
      const got = await featureWeights(g, { wDec: w, unembed, S, C, V, feature: 7, k: 4 });
      expect(got.top[0].id).toBe(150);
      expect(got.neighbours[0].id).toBe(42);
      expect(got.neighbours[0].value).toBeCloseTo(1, 5);
      expect(got.neighbours.some((n) => n.id === 8 || n.id === 7)).toBe(false);
      const opposite = await featureWeights(g, { wDec: w, unembed, S, C, V, feature: 8, k: 4 });
      expect(opposite.bottom[0]).toMatchObject({ id: 150, value: expect.closeTo(-got.top[0].value, 4) });
      // logits per unit length: the twin 4x shorter gives the same values
      const twin = await featureWeights(g, { wDec: w, unembed, S, C, V, feature: 42, k: 4 });
      expectClose('twin logits', twin.top.map((t) => t.value), got.top.map((t) => t.value), 1e-5, 1e-5);
      expect(await featureWeights(g, { wDec: w, unembed, S, C, V, feature: 3, k: 4 })).toEqual({ norm: 0, top: [], bottom: [], neighbours: [] });
    });
  }

  it('topK: ties by lower id, the skipped index and NaNs left out, k above the length', () => {
    const v = [0.5, 2, -1, 2, NaN, -3, 0.5];
    expect(topK(v, 3, true)).toEqual([{ id: 1, value: 2 }, { id: 3, value: 2 }, { id: 0, value: 0.5 }]);
    expect(topK(v, 2, false)).toEqual([{ id: 5, value: -3 }, { id: 2, value: -1 }]);
    expect(topK(v, 2, true, 1)).toEqual([{ id: 3, value: 2 }, { id: 0, value: 0.5 }]);
    expect(topK(v, 10, true).map((r) => r.id)).toEqual([1, 3, 0, 6, 2, 5]);
    expect(topK(v, 0, true)).toEqual([]);
  });
});

describe('Engine.featureWeights', () => {
  const piece = (id: number) => TextTokenizer.fromJson(byteTokenizerJson(), BYTE_TOKENIZER_CONFIG).pieces([id])[0];

  for (const weights of ['f32', 'f16'] as const) {
    it(`GPT-2 (wte tied, ${weights}) with a centred, constant_norm_rescale SAE: the reference's logits and neighbours, with token texts`, async () => {
      const engine = new Engine();
      const source = { ...randomModelSource(4), weights };
      await engine.load(source);
      const spec: RandomSaeSpec = { dIn: 96, dSae: 300, hookName: 'blocks.1.hook_resid_pre', arch: 'jumprelu', seed: 11, norm: 'constant_norm_rescale', center: true };
      await engine.loadSae({ kind: 'files', files: randomSaeLensFiles(spec) });
      const wteT = parseSafetensors(source.files['model.safetensors'], 'model.safetensors').tensors.get('wte.weight')!;
      const wte = toFloat32(wteT);
      const V = wteT.shape[0];
      const wDec = randomSaeTensors(spec).W_dec;
      for (const feature of [0, 123, 299]) {
        const got = await engine.featureWeights(feature, 8);
        const ref = featureWeightsRef(wDec, weights === 'f16' ? roundToHalf(wte) : wte, 300, 96, V, feature, 8);
        expect(got.feature).toBe(feature);
        expect(got.decoderNorm).toBeCloseTo(ref.norm, 5);
        expectRanked(`feature ${feature} top`, got.topLogits, ref.top);
        expectRanked(`feature ${feature} bottom`, got.bottomLogits, ref.bottom);
        expectRanked(`feature ${feature} neighbours`, got.neighbours.map((n) => ({ id: n.id, value: n.cosine })), ref.neighbours, 1e-6, 1e-5);
        for (const t of [...got.topLogits, ...got.bottomLogits]) expect(t.token).toBe(piece(t.id));
      }
      expect((await engine.featureWeights(5)).topLogits).toHaveLength(10); // k defaults to 10
      await expect(engine.featureWeights(300)).rejects.toMatchObject({ name: 'EngineStateError', message: expect.stringMatching(/Feature 300 does not exist.*0\.\.299/) });
      await expect(engine.featureWeights(1.5)).rejects.toMatchObject({ name: 'EngineStateError' });
      await expect(engine.featureWeights(1, 0)).rejects.toMatchObject({ name: 'EngineStateError', message: expect.stringMatching(/k must be 1\.\.100/) });
      await engine.unloadSae();
      await expect(engine.featureWeights(1)).rejects.toMatchObject({ name: 'EngineStateError', message: expect.stringMatching(/No SAE is loaded/) });
      await engine.dispose();
    });
  }

  const DIR = '/tests/fixtures/hf/';
  const get = async (f: string) => {
    const r = await fetch(DIR + f);
    if (!r.ok) throw new Error(`${f}: HTTP ${r.status}`);
    return r.arrayBuffer();
  };
  const enc = (s: string) => new TextEncoder().encode(s).buffer as ArrayBuffer;

  /** A fixture's files; untied: an lm_head of its own (random, unlike the embedding). Returns W_U as the reference reads it. */
  async function decoderFiles(name: string, untied: boolean) {
    const cfg = JSON.parse(new TextDecoder().decode(await get(`${name}/config.json`)));
    const st = parseSafetensors(await get(`${name}/model.safetensors`), 'model.safetensors');
    const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const t of st.tensors.values()) tensors[t.name] = { shape: t.shape, data: toFloat32(t) };
    const embed = tensors['model.embed_tokens.weight'];
    if (untied) tensors['lm_head.weight'] = { shape: embed.shape, data: new Rng(9).array(embed.data.length, 0.05) };
    const bytes = writeSafetensors(tensors);
    const files = {
      'config.json': enc(JSON.stringify({ ...cfg, tie_word_embeddings: !untied })),
      'model.safetensors': bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      'tokenizer.json': enc(byteTokenizerJson()),
    };
    return { files, wU: (untied ? tensors['lm_head.weight'] : embed).data, V: embed.shape[0], C: embed.shape[1] };
  }

  for (const [name, untied] of [['gemma3-seed1', false], ['llama-seed1', true]] as const) {
    it(`${name} (${untied ? 'untied lm_head' : 'tied embedding, without its sqrt(C) scale'}): the reference's logits and neighbours`, async () => {
      const { files, wU, V, C } = await decoderFiles(name, untied);
      const engine = new Engine();
      await engine.load({ kind: 'files', files, weights: 'f32' });
      const spec: RandomSaeSpec = { dIn: C, dSae: 200, hookName: 'blocks.2.hook_resid_post', arch: 'topk', k: 8, seed: 4, norm: 'layer_norm' };
      await engine.loadSae({ kind: 'files', files: randomSaeLensFiles(spec) });
      const wDec = randomSaeTensors(spec).W_dec;
      for (const feature of [0, 77, 199]) {
        const got = await engine.featureWeights(feature, 6);
        const ref = featureWeightsRef(wDec, wU, 200, C, V, feature, 6);
        expectRanked(`${name} feature ${feature} top`, got.topLogits, ref.top);
        expectRanked(`${name} feature ${feature} bottom`, got.bottomLogits, ref.bottom);
        expectRanked(`${name} feature ${feature} neighbours`, got.neighbours.map((n) => ({ id: n.id, value: n.cosine })), ref.neighbours, 1e-6, 1e-5);
      }
      await engine.dispose();
    });
  }
});
