// What steering did, through the Engine: per-token probabilities, alternatives and KL against
// plain forwards of the same text, features at generated tokens against the CPU SAE reference,
// the divergence point; and the dose-response sweep against single generations.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/worker/engine';
import { divergencePoint, klDivergence, logSoftmax, topAlternatives } from '../../src/model/inspect';
import { saeRef } from '../../src/reference/sae';
import { parseSaeLensConfig, saeLensWeights } from '../../src/sae/formats';
import { parseSafetensors } from '../../src/model/safetensors';
import { randomModelSource } from '../helpers/files_source';
import { randomSaeLensFiles } from '../helpers/random_sae';
import { Rng } from '../../src/model/rng';

const C = 96;
const S = 300;
const HOOK = 'blocks.1.hook_resid_pre';
const greedy = { temperature: 0, topK: 0, topP: 1 };

async function setup() {
  const engine = new Engine();
  await engine.load(randomModelSource(6));
  const files = randomSaeLensFiles({ dIn: C, dSae: S, hookName: HOOK, arch: 'standard', seed: 4 });
  await engine.loadSae({ kind: 'files', files, topK: 8 });
  const cfg = parseSaeLensConfig(new TextDecoder().decode(files['cfg.json']));
  const sae = { cfg, weights: saeLensWeights(parseSafetensors(files['sae_weights.safetensors'], 'sae_weights.safetensors'), cfg) };
  return { engine, sae };
}

/** Probabilities (n, V) of an unsteered forward's rows that chose each generated token. */
async function plainLogProbs(engine: Engine, prompt: number[], gen: number[]) {
  const res = await engine.forward({ ids: [...prompt, ...gen], logits: 'all' });
  const V = res.logits.length / (prompt.length + gen.length);
  return gen.map((_, i) => logSoftmax(res.logits.subarray((prompt.length - 1 + i) * V, (prompt.length + i) * V)));
}

describe('log-softmax, KL and alternatives (CPU)', () => {
  it('match the definitions on random rows', () => {
    const rng = new Rng(3);
    const a = rng.array(50, 4);
    const b = rng.array(50, 4);
    const [la, lb] = [logSoftmax(a), logSoftmax(b)];
    expect(la.reduce((s, x) => s + Math.exp(x), 0)).toBeCloseTo(1, 10);
    const pa = Array.from(a, (x) => Math.exp(x)).map((x, _, all) => x / all.reduce((s, y) => s + y, 0));
    const pb = Array.from(b, (x) => Math.exp(x)).map((x, _, all) => x / all.reduce((s, y) => s + y, 0));
    expect(klDivergence(la, lb)).toBeCloseTo(pa.reduce((s, p, i) => s + p * Math.log(p / pb[i]), 0), 10);
    expect(klDivergence(la, la)).toBe(0);
    const top = topAlternatives(la, 4);
    expect(top.map((t) => t.id)).toEqual([...pa.keys()].sort((i, j) => pa[j] - pa[i]).slice(0, 4));
    expect(divergencePoint([1, 2, 3], [1, 2, 4])).toBe(2);
    expect(divergencePoint([1, 2], [1, 2])).toBeNull();
    expect(divergencePoint([1, 2], [1, 2, 3])).toBe(2);
  });
});

describe('Engine.inspectGeneration', () => {
  it('probabilities, alternatives and KL agree with plain forwards; features with the CPU SAE; greedy tokens are their own top alternative', async () => {
    const { engine, sae } = await setup();
    const steering = [{ feature: 3, mode: 'add' as const, value: 40, unit: 'absolute' as const }];
    const steerAt = { positions: 'all' as const, skipBos: false };
    let prompt: number[] = [];
    const req = { prompt: 'the cat', maxNewTokens: 7, sampling: greedy, seed: 1, stopAtEos: false, steering, steerAt };
    const res = await engine.generate(req, (e) => {
      if (e.type === 'prompt') prompt = e.tokens.ids;
    });
    const [base, steered] = [res.baseline!.ids, res.steered!.ids];
    expect(steered).not.toEqual(base);
    const report = await engine.inspectGeneration({ prompt, baseline: base, steered, steering, steerAt });
    expect(report.divergence).toBe(divergencePoint(base, steered));
    // greedy: each token is the argmax of its own stream's model, which the inspection re-runs
    report.baseline.alternatives.forEach((alts, i) => expect(alts[0].id).toBe(base[i]));
    report.steered.alternatives.forEach((alts, i) => expect(alts[0].id).toBe(steered[i]));
    // the unsteered model's probabilities: the baseline's own, and the steered text's "other"
    const lpBase = await plainLogProbs(engine, prompt, base);
    const lpSteered = await plainLogProbs(engine, prompt, steered);
    base.forEach((id, i) => expect(report.baseline.prob[i]).toBeCloseTo(Math.exp(lpBase[i][id]), 5));
    steered.forEach((id, i) => expect(report.steered.otherProb[i]).toBeCloseTo(Math.exp(lpSteered[i][id]), 5));
    expect(Math.max(...report.steered.kl)).toBeGreaterThan(0);
    for (const kl of [...report.baseline.kl, ...report.steered.kl]) expect(kl).toBeGreaterThanOrEqual(0);
    // before the streams diverge, both ran the same text: the steered stream's KL(steered || plain) there is the
    // baseline's KL(plain || steered) with the roles swapped, so only the probabilities of the shared tokens agree
    for (let i = 0; i < (report.divergence ?? base.length); i++) expect(report.steered.otherProb[i]).toBeCloseTo(report.baseline.prob[i], 5);
    // features at the baseline's generated tokens: the CPU SAE on the unsteered residual at the hook
    const hooks = await engine.forward({ ids: [...prompt, ...base], hooks: [HOOK], logits: 'none' });
    const T = prompt.length + base.length;
    const ref = saeRef(sae.cfg, sae.weights, hooks.hooks[HOOK], T, 8);
    const K = report.baseline.k;
    expect(K).toBe(8);
    for (let i = 0; i < base.length; i++) {
      const t = prompt.length + i;
      expect(report.baseline.topIdx[i * K]).toBe(ref.top.idx[t * 8]);
      expect(report.baseline.topVal[i * K]).toBeCloseTo(ref.top.val[t * 8], 3);
    }
    expect(report.steered.pieces.join('')).toBe(res.steered!.text);
    await engine.dispose();
  });

  it('steering that changes nothing: identical streams, KL 0 everywhere, no divergence', async () => {
    const { engine } = await setup();
    const steering = [{ feature: 3, mode: 'orthogonal' as const, value: 1, unit: 'absolute' as const }];
    let prompt: number[] = [];
    const res = await engine.generate({ prompt: 'a dog', maxNewTokens: 5, sampling: { temperature: 0.9, topK: 0, topP: 1 }, seed: 4, stopAtEos: false, steering }, (e) => {
      if (e.type === 'prompt') prompt = e.tokens.ids;
    });
    expect(res.steered!.ids).toEqual(res.baseline!.ids);
    const report = await engine.inspectGeneration({ prompt, baseline: res.baseline!.ids, steered: res.steered!.ids, steering });
    expect(report.divergence).toBeNull();
    expect([...report.steered.kl, ...report.baseline.kl].every((k) => k === 0)).toBe(true);
    await engine.dispose();
  });
});

describe('Engine.sweep', () => {
  it('each point is the steered stream a single generation gives at that strength; strength 0 is the baseline with KL 0; feature means match the CPU SAE', async () => {
    const { engine, sae } = await setup();
    const base = { prompt: 'the cat', maxNewTokens: 6, sampling: { temperature: 0.8, topK: 0, topP: 1 }, seed: 9, stopAtEos: false };
    const steering = [{ feature: 5, mode: 'add' as const, value: 0, unit: 'absolute' as const }];
    const seen: number[] = [];
    const res = await engine.sweep({ ...base, steering, target: 0, strengths: [0, 25, -25] }, (p, i) => seen.push(i));
    expect(seen).toEqual([0, 1, 2]);
    expect(res.points.map((p) => p.strength)).toEqual([0, 25, -25]);
    expect(res.points[0].ids).toEqual(res.baseline.ids);
    expect(res.points[0].klMean).toBe(0);
    for (const p of res.points.slice(1)) {
      const single = await engine.generate({ ...base, steering: [{ ...steering[0], value: p.strength }] }, () => {});
      expect(p.ids).toEqual(single.steered!.ids);
      expect(p.klMean).toBeGreaterThan(0);
    }
    // the mean activation of feature 5 on each point's generated tokens, read by the unsteered model
    const prompt = (await engine.tokenize(base.prompt)).ids;
    for (const p of res.points) {
      const hooks = await engine.forward({ ids: [...prompt, ...p.ids], hooks: [HOOK], logits: 'none' });
      const f = saeRef(sae.cfg, sae.weights, hooks.hooks[HOOK], prompt.length + p.ids.length, 8).f;
      const mean = p.ids.reduce((s, _, i) => s + f[(prompt.length + i) * S + 5], 0) / p.ids.length;
      expect(p.featureMean).toBeCloseTo(mean, 3);
    }
    await expect(engine.sweep({ ...base, steering, target: 1, strengths: [0, 1] })).rejects.toMatchObject({ name: 'EngineStateError' });
    await expect(engine.sweep({ ...base, steering, target: 0, strengths: [1] })).rejects.toThrow(/2\.\.16/);
    await engine.dispose();
  });
});
