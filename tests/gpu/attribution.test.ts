// Feature attribution (src/model/attribution.ts): attribution patching for an SAE on resid_pre.
// (a) On a tiny random GPT-2 with a random SAE (centred, constant_norm_rescale, so dec_scale is
// not 1): each feature's attribution equals the central finite difference of scaling its decoder
// contribution by (1 ± eps) through the steering clamp; and the pieces add up: x . g = sum of the
// feature attributions + error + the bias part (b_dec * dec_scale + dec_shift + mean(x)) . g.
// (b) On the bundled model and SAE, over 20 prompts: the top 10 features by |attribution| are
// each ablated (clamped to 0 at their position only) and the true change of the top token's logit
// is compared with the linear estimate: sign agreement and Spearman correlation, printed, with
// floors that a sign-flipped attribution fails.
import { describe, expect, it } from 'vitest';
import { parseGpt2Config } from '../../src/model/config';
import { parseSafetensors } from '../../src/model/safetensors';
import { gpt2Weights } from '../../src/model/weights';
import { Gpt2 } from '../../src/model/gpt2';
import { Sae } from '../../src/sae/sae';
import { parseSaeLensConfig, saeLensWeights } from '../../src/sae/formats';
import { featureAttribution } from '../../src/model/attribution';
import { gpt2Gradients } from '../../src/model/backward';
import { TextTokenizer } from '../../src/model/tokenizer';
import { readF32 } from '../../src/gpu/buffers';
import { randomGpt2Files } from '../helpers/random_model';
import { randomSaeLensFiles } from '../helpers/random_sae';
import { getGpu } from './gpu';

const MODEL = '/models/glassbox-mini/';
const SAE_DIR = `${MODEL}sae/blocks.2.hook_resid_pre/`;
const get = async (url: string) => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.arrayBuffer();
};
const text = async (url: string) => new TextDecoder().decode(await get(url));

/** Ranks (1-based, ties averaged). */
function ranks(x: number[]): number[] {
  const idx = x.map((_, i) => i).sort((a, b) => x[a] - x[b]);
  const r = new Array<number>(x.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && x[idx[j + 1]] === x[idx[i]]) j++;
    for (let k = i; k <= j; k++) r[idx[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

function pearson(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

const spearman = (a: number[], b: number[]) => pearson(ranks(a), ranks(b));

describe('feature attribution (attribution patching)', () => {
  it('tiny random GPT-2 + random SAE: attribution = the finite difference of scaling the decoder contribution; the parts add up to x . g', async () => {
    const gpu = await getGpu();
    const files = randomGpt2Files({ nLayers: 3, dModel: 20, nHeads: 5, vocab: 13, nCtx: 12, seed: 11 });
    const cfg = parseGpt2Config(files.config);
    const w = gpt2Weights(parseSafetensors(files.safetensors.slice().buffer, 'random.safetensors'), cfg);
    const hook = 'blocks.1.hook_resid_pre';
    const saeFiles = randomSaeLensFiles({ dIn: 20, dSae: 40, hookName: hook, arch: 'standard', seed: 5, center: true, norm: 'constant_norm_rescale' });
    const saeCfg = parseSaeLensConfig(new TextDecoder().decode(saeFiles['cfg.json']));
    const saeW = saeLensWeights(parseSafetensors(saeFiles['sae_weights.safetensors'], 'sae_weights.safetensors'), saeCfg);
    const model = new Gpt2(gpu, cfg, w);
    const sae = new Sae(gpu, saeCfg, saeW);
    model.attachSae(sae, 8);
    const ids = [3, 11, 3, 0, 7, 7, 2, 12, 3];
    const T = ids.length;
    const V = cfg.vocabSize;
    const C = cfg.dModel;
    const target = { position: 6, token: 4, minusToken: 9 };
    const res = await featureAttribution(model, ids, target);
    const stats = await readF32(gpu.device, model.saeActs!.stats, 2 * T);
    expect(res.layer).toBe(1);
    expect(res.active).toBe(res.features.length);
    expect(res.active).toBeGreaterThan(20);
    for (let i = 1; i < res.features.length; i++) expect(Math.abs(res.features[i].attribution)).toBeLessThanOrEqual(Math.abs(res.features[i - 1].attribution));
    expect(stats.some((v, i) => i % 2 === 0 && Math.abs(v - 1) > 0.1), 'dec_scale differs from 1').toBe(true);

    const targetOf = (logits: Float32Array) => logits[target.position * V + target.token] - logits[target.position * V + target.minusToken];
    const eps = 1e-2;
    // the three largest, a middle one, the smallest, and ones at the first and the target position
    const pick = [0, 1, 2, res.features.length >> 1, res.features.length - 1];
    for (const p of [0, target.position]) pick.push(res.features.findIndex((e) => e.position === p));
    let worst = 0;
    const scale = Math.abs(res.features[0].attribution);
    for (const k of pick) {
      const e = res.features[k];
      const run = async (m: number) => {
        model.setSteering([{ feature: e.feature, mode: 'clamp', value: e.activation * m, from: e.position, to: e.position + 1 }]);
        model.reset();
        return targetOf((await model.forward(ids, { logits: 'all', steer: true })).logits);
      };
      const fd = ((await run(1 + eps)) - (await run(1 - eps))) / (2 * eps);
      const d = Math.abs(fd - e.attribution);
      worst = Math.max(worst, d / scale);
      expect(d, `feature ${e.feature} at ${e.position}: attribution ${e.attribution}, finite difference ${fd}`).toBeLessThan(2e-2 * Math.abs(e.attribution) + 2e-3 * scale);
    }
    model.setSteering([]);
    console.log(`[attribution] random model: ${res.active} active pairs, finite-difference worst |diff| / max |attribution| ${worst.toExponential(2)}`);

    // completeness: x . g = sum attributions + error + (b_dec * dec_scale + dec_shift + mean(x)) . g
    model.reset();
    const x = (await model.forward(ids, { hooks: [hook], logits: 'none' })).hooks[hook];
    const g = (await gpt2Gradients(model, ids, target))[1];
    const bDec = saeW.get('b_dec')!;
    for (let t = 0; t < T; t++) {
      let xg = 0;
      let mean = 0;
      let gsum = 0;
      let bias = 0;
      for (let c = 0; c < C; c++) {
        xg += x[t * C + c] * g[t * C + c];
        mean += x[t * C + c] / C;
        gsum += g[t * C + c];
        bias += (bDec[c] * stats[2 * t] + stats[2 * t + 1]) * g[t * C + c];
      }
      const parts = res.total[t] + res.error[t] + bias + mean * gsum;
      expect(Math.abs(parts - xg), `position ${t}: ${parts} vs x . g ${xg}`).toBeLessThan(1e-4 * (1 + Math.abs(xg)));
    }
    // the target value is the forward's
    model.reset();
    expect(res.target).toBeCloseTo(targetOf((await model.forward(ids, { logits: 'all' })).logits), 4);

    // DLA: by hand for the largest one
    const d0 = res.direct[0];
    const wDec = saeW.get('W_dec')!;
    const wte = w.get('wte.weight')!;
    let dot = 0;
    for (let c = 0; c < C; c++) dot += wDec[d0.feature * C + c] * (wte[target.token * C + c] - wte[target.minusToken * C + c]);
    expect(d0.dla).toBeCloseTo(d0.activation * stats[2 * target.position] * dot, 4);
    expect(res.direct.length).toBe(res.features.filter((e) => e.position === target.position).length);

    // resid_post[1] is resid_pre[2]: the same SAE weights give the same attributions on either hook
    const attrOn = async (hookName: string) => {
      const f = randomSaeLensFiles({ dIn: 20, dSae: 40, hookName, arch: 'standard', seed: 6 });
      const c = parseSaeLensConfig(new TextDecoder().decode(f['cfg.json']));
      const s = new Sae(gpu, c, saeLensWeights(parseSafetensors(f['sae_weights.safetensors'], 'sae_weights.safetensors'), c));
      model.attachSae(s, 8);
      try {
        return await featureAttribution(model, ids, target);
      } finally {
        model.attachSae(null);
        s.destroy();
      }
    };
    const [pre2, post1] = [await attrOn('blocks.2.hook_resid_pre'), await attrOn('blocks.1.hook_resid_post')];
    expect(post1.features.slice(0, 5)).toEqual(pre2.features.slice(0, 5));
    // the last layer's resid_post and resid_mid are refused
    for (const hook of ['blocks.2.hook_resid_post', 'blocks.1.hook_resid_mid']) await expect(attrOn(hook)).rejects.toThrow(/hook_resid_pre, and on hook_resid_post of every layer but the last/);
    sae.destroy();
    model.destroy();
  });

  it('bundled model + SAE, 20 prompts: the top-10 attributions against true single-feature ablations', async () => {
    const gpu = await getGpu();
    const cfg = parseGpt2Config(await text(`${MODEL}config.json`));
    const w = gpt2Weights(parseSafetensors(await get(`${MODEL}model.safetensors`), 'model.safetensors'), cfg);
    const model = new Gpt2(gpu, cfg, w);
    const saeCfg = parseSaeLensConfig(await text(`${SAE_DIR}cfg.json`));
    const sae = new Sae(gpu, saeCfg, saeLensWeights(parseSafetensors(await get(`${SAE_DIR}sae_weights.safetensors`), 'sae_weights.safetensors'), saeCfg));
    model.attachSae(sae, 32);
    const tok = TextTokenizer.fromJson(await text(`${MODEL}tokenizer.json`), await text(`${MODEL}tokenizer_config.json`));
    const prompts = [
      'The farmer fed the cows and the pigs',
      'In the morning the hens laid eggs in the',
      'The tractor drove across the wheat field to the',
      'The goats ate hay in the old red',
      'The whale swam under the waves of the',
      'The fishermen pulled their nets onto the',
      'A crab walked along the sandy',
      'The sailors saw dolphins jumping near the',
      'She played the piano while he sang a',
      'The band played loud drums and the guitar',
      'The choir sang a song about the',
      'The striker kicked the ball into the',
      'The team won the match and the fans',
      'The runner crossed the finish line and',
      'The rocket flew past the moon toward the',
      'The astronaut looked at the stars from the',
      'The planet orbits a bright',
      'Le chat dort sur le',
      'Nous allons à la plage avec les',
      'La petite fille mange une pomme dans le',
    ];
    const attrs: number[] = [];
    const truth: number[] = [];
    const perPrompt: number[] = [];
    let agree = 0;
    const t0 = performance.now();
    for (const prompt of prompts) {
      const ids = tok.encode(prompt);
      const T = ids.length;
      model.reset();
      const base = (await model.forward(ids, { logits: 'last' })).logits;
      let top = 0;
      for (let v = 1; v < base.length; v++) if (base[v] > base[top]) top = v;
      const res = await featureAttribution(model, ids, { position: T - 1, token: top }, { limit: 10 });
      expect(res.features.length).toBe(10);
      expect(res.target).toBeCloseTo(base[top], 3);
      const a: number[] = [];
      const d: number[] = [];
      for (const e of res.features) {
        model.setSteering([{ feature: e.feature, mode: 'clamp', value: 0, from: e.position, to: e.position + 1 }]);
        model.reset();
        const abl = (await model.forward(ids, { logits: 'last', steer: true })).logits[top];
        // the feature's true effect: what ablating it takes away (attribution estimates this)
        const effect = base[top] - abl;
        a.push(e.attribution);
        d.push(effect);
        if (Math.sign(effect) === Math.sign(e.attribution)) agree++;
      }
      model.setSteering([]);
      perPrompt.push(spearman(a, d));
      attrs.push(...a);
      truth.push(...d);
    }
    const n = attrs.length;
    const signRate = agree / n;
    const pooled = spearman(attrs, truth);
    const meanPer = perPrompt.reduce((s, v) => s + v, 0) / perPrompt.length;
    console.log(
      `[attribution] bundled model, ${prompts.length} prompts x top 10 (${n} pairs): sign agreement ${signRate.toFixed(4)} (${agree}/${n}), ` +
        `pooled Spearman ${pooled.toFixed(4)}, per-prompt Spearman mean ${meanPer.toFixed(4)}, Pearson ${pearson(attrs, truth).toFixed(4)}; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    expect(n).toBe(200);
    expect(signRate).toBeGreaterThanOrEqual(0.8);
    expect(pooled).toBeGreaterThanOrEqual(0.7);
    model.attachSae(null);
    sae.destroy();
    model.destroy();
  });
});
