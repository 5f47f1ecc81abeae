// The bundled model and SAE against tensors computed by an independent implementation (the
// PyTorch code in tools/, run on the files as shipped): logits, every residual hook, the SAE's
// feature activations and reconstruction, and a clamp-steered forward. See tools/fixtures.py.
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/worker/engine';
import { parseSafetensors, toFloat32, toInts, type Safetensors } from '../../src/model/safetensors';
import { parseGpt2Config } from '../../src/model/config';
import { gpt2Weights } from '../../src/model/weights';
import { Gpt2 } from '../../src/model/gpt2';
import { Sae } from '../../src/sae/sae';
import { parseSaeLensConfig, saeLensWeights } from '../../src/sae/formats';
import { NO_FEATURE } from '../../src/kernels/sae_topk';
import { compare, expectClose } from '../util';
import { getGpu } from './gpu';

const MODEL = '/models/glassbox-mini/';
const SAE_DIR = `${MODEL}sae/blocks.2.hook_resid_pre/`;
interface FixtureInfo {
  prompts: Array<{ text: string; input_ids: number[] }>;
  sae_hook: string;
  steer: { feature: number; value: number };
}
let fx: Safetensors;
let info: FixtureInfo;
const t = (name: string) => toFloat32(fx.tensors.get(name) ?? (() => { throw new Error(`fixture ${name} missing`); })());
const get = async (url: string) => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status} (run tools/build_bundled.sh)`);
  return r.arrayBuffer();
};

beforeAll(async () => {
  fx = parseSafetensors(await get('/tests/fixtures/glassbox-mini.safetensors'), 'glassbox-mini.safetensors');
  info = JSON.parse(new TextDecoder().decode(await get('/tests/fixtures/glassbox-mini.json')));
});

describe('bundled model against PyTorch fixtures', () => {
  it('tokenizes, and gives the logits and every residual hook of each fixture prompt (<= 1e-3)', async () => {
    const engine = new Engine();
    const m = await engine.load({ kind: 'url', baseUrl: MODEL });
    const L = m.config.nLayers;
    const hooks = Array.from({ length: L }, (_, l) => ['pre', 'mid', 'post'].map((k) => `blocks.${l}.hook_resid_${k}`)).flat();
    for (const [i, p] of info.prompts.entries()) {
      const ids = toInts(fx.tensors.get(`p${i}.input_ids`)!);
      expect((await engine.tokenize(p.text)).ids, `tokenizer on prompt ${i}`).toEqual(ids);
      const res = await engine.forward({ ids, logits: 'all', hooks });
      console.log(`[glassbox] fixture p${i} (T=${ids.length}): max |logit diff| ${compare(res.logits, t(`p${i}.logits`), 0, 0).maxDiff.toExponential(2)}`);
      expectClose(`p${i} logits`, res.logits, t(`p${i}.logits`), 1e-3, 0);
      for (const h of hooks) expectClose(`p${i} ${h}`, res.hooks[h], t(`p${i}.${h}`), 1e-3, 0);
    }
    await engine.dispose();
  });

  it("gives the SAE's top features, activations and reconstruction error of each prompt", async () => {
    const engine = new Engine();
    await engine.load({ kind: 'url', baseUrl: MODEL });
    const sae = await engine.loadSae({ kind: 'url', baseUrl: SAE_DIR, topK: 16 });
    const S = sae.config.dSae;
    const C = sae.config.dIn;
    for (const [i, p] of info.prompts.entries()) {
      const res = await engine.analyze({ text: p.text });
      const T = res.ids.length;
      const acts = t(`p${i}.sae.feature_acts`);
      const x = t(`p${i}.${info.sae_hook}`);
      const xHat = t(`p${i}.sae.sae_out`);
      for (let tok = 0; tok < T; tok++) {
        // every reported feature has the fixture's activation; the strongest ones agree
        for (let j = 0; j < res.k; j++) {
          const id = res.topIdx[tok * res.k + j];
          if (id === NO_FEATURE) continue;
          expect(Math.abs(res.topVal[tok * res.k + j] - acts[tok * S + id]), `p${i} token ${tok} feature ${id}`).toBeLessThan(1e-3);
        }
        const row = Array.from(acts.subarray(tok * S, (tok + 1) * S));
        const best = row.indexOf(Math.max(...row));
        if (row[best] > 0) expect(res.topIdx[tok * res.k], `p${i} token ${tok} strongest`).toBe(best);
        let e = 0;
        for (let c = 0; c < C; c++) e += (x[tok * C + c] - xHat[tok * C + c]) ** 2;
        expect(Math.abs(res.error[2 * tok] - Math.sqrt(e)), `p${i} token ${tok} error`).toBeLessThan(1e-3 * (1 + Math.sqrt(e)));
      }
      const ids = [0, 1, res.topIdx[0] === NO_FEATURE ? 2 : res.topIdx[0]];
      const fa = await engine.featureActivations(ids);
      expectClose(`p${i} featureActivations`, fa.values, Float32Array.from({ length: T * 3 }, (_, k) => acts[Math.floor(k / 3) * S + ids[k % 3]]), 1e-3, 0);
    }
    await engine.dispose();
  });

  it('with f16 weights, gives the logits and SAE activations of PyTorch with the same weights rounded to halves', async () => {
    const engine = new Engine();
    const m = await engine.load({ kind: 'url', baseUrl: MODEL, weights: 'f16' });
    expect(m.weightDtype).toBe('f16');
    expect((await engine.memory())!.weightDtype).toBe('f16');
    const sae = await engine.loadSae({ kind: 'url', baseUrl: SAE_DIR, topK: 16 });
    const S = sae.config.dSae;
    for (const [i, p] of info.prompts.entries()) {
      const ids = toInts(fx.tensors.get(`p${i}.input_ids`)!);
      const res = await engine.forward({ ids, logits: 'all' });
      const ref = t(`p${i}.f16.logits`);
      console.log(
        `[glassbox] fixture p${i} f16: max |logit diff| ${compare(res.logits, ref, 0, 0).maxDiff.toExponential(2)} vs PyTorch f16-rounded, ` +
          `${compare(res.logits, t(`p${i}.logits`), 0, 0).maxDiff.toExponential(2)} vs PyTorch f32`,
      );
      expectClose(`p${i} f16 logits`, res.logits, ref, 1e-3, 0);
      const a = await engine.analyze({ text: p.text });
      const acts = t(`p${i}.f16.sae.feature_acts`);
      for (let j = 0; j < a.topIdx.length; j++) {
        const id = a.topIdx[j];
        if (id !== NO_FEATURE) expect(Math.abs(a.topVal[j] - acts[Math.floor(j / a.k) * S + id]), `p${i} f16 feature ${id}`).toBeLessThan(1e-3);
      }
      for (let tok = 0; tok < a.ids.length; tok++) {
        const row = Array.from(acts.subarray(tok * S, (tok + 1) * S));
        const best = row.indexOf(Math.max(...row));
        if (row[best] > 0) expect(a.topIdx[tok * a.k], `p${i} f16 token ${tok} strongest`).toBe(best);
      }
    }
    await engine.dispose();
  });

  it("in the real-GPU launch shapes (tiled matmul, split-K matvec, cooperative LM head), gives PyTorch's logits and hooks, in prefill and in KV-cached decode", async () => {
    const gpu = await getGpu('gpu');
    const cfg = parseGpt2Config(new TextDecoder().decode(await get(`${MODEL}config.json`)));
    const model = new Gpt2(gpu, cfg, gpt2Weights(parseSafetensors(await get(`${MODEL}model.safetensors`), 'model.safetensors'), cfg));
    const V = cfg.vocabSize;
    const hooks = ['blocks.0.hook_resid_mid', `blocks.${cfg.nLayers - 1}.hook_resid_post`];
    for (const i of [0, 1]) {
      const ids = toInts(fx.tensors.get(`p${i}.input_ids`)!);
      const T = ids.length;
      model.reset();
      const res = await model.forward(ids, { logits: 'all', hooks });
      expectClose(`p${i} logits (gpu variant)`, res.logits, t(`p${i}.logits`), 1e-3, 0);
      for (const h of hooks) expectClose(`p${i} ${h} (gpu variant)`, res.hooks[h], t(`p${i}.${h}`), 1e-3, 0);
      model.reset();
      await model.forward(ids.slice(0, T - 3), { logits: 'none' });
      for (let k = T - 3; k < T; k++) {
        const step = await model.forward([ids[k]], { logits: 'last' });
        expectClose(`p${i} decode logits at ${k} (gpu variant)`, step.logits, t(`p${i}.logits`).subarray(k * V, (k + 1) * V), 1e-3, 0);
      }
    }
    model.destroy();
  });

  it('gives the clamp-steered logits of the fixture (feature at 10x its max activation)', async () => {
    const gpu = await getGpu();
    const cfg = parseGpt2Config(new TextDecoder().decode(await get(`${MODEL}config.json`)));
    const model = new Gpt2(gpu, cfg, gpt2Weights(parseSafetensors(await get(`${MODEL}model.safetensors`), 'model.safetensors'), cfg));
    const saeCfg = parseSaeLensConfig(new TextDecoder().decode(await get(`${SAE_DIR}cfg.json`)));
    const st = parseSafetensors(await get(`${SAE_DIR}sae_weights.safetensors`), 'sae_weights.safetensors');
    model.attachSae(new Sae(gpu, saeCfg, saeLensWeights(st, saeCfg)));
    model.setSteering([{ feature: info.steer.feature, mode: 'clamp', value: info.steer.value, from: 0 }]);
    const ids = toInts(fx.tensors.get('p0.input_ids')!);
    const res = await model.forward(ids, { logits: 'all', steer: true });
    expectClose('p0 steered logits', res.logits, t('p0.steer.logits'), 1e-3, 0);
    expect(compare(res.logits, t('p0.logits'), 1e-2, 0).bad).toBeGreaterThan(0); // the edit did something
    model.sae!.destroy();
    model.destroy();
  });
});
