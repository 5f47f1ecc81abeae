// Engine.analyze reuses the KV cache of the prefix a prompt shares with the last analysis and runs
// only the new tokens (live analysis as you type). On the bundled model and its SAE: growing,
// shrinking and edited prompts give, bit for bit, the tokens, features and errors of a whole run
// (the same model built beside the engine, its cache emptied before every prompt); the spy on the
// engine's model shows how many tokens each analyze really ran, so reuse is seen to happen.
// featureActivations after a suffix-only analyze runs the prompt whole again and gives the whole
// run's values; forward(), generate() and a new SAE between two analyses stop the reuse.
// The modern decoder families too (sliding window 5, soft-caps, RoPE): against the engine's own
// whole runs. Beneath it, the split itself: a prompt run as prefix + suffix through the KV cache
// gives the whole run's SAE output bit for bit, with the CPU and the real-GPU launch shapes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/worker/engine';
import { parseGpt2Config } from '../../src/model/config';
import { parseSafetensors } from '../../src/model/safetensors';
import { gpt2Weights } from '../../src/model/weights';
import { Gpt2 } from '../../src/model/gpt2';
import { Sae } from '../../src/sae/sae';
import { parseSaeLensConfig, saeLensWeights } from '../../src/sae/formats';
import type { Transformer } from '../../src/model/transformer';
import type { AnalyzeResponse } from '../../src/worker/api';
import { readF32 } from '../../src/gpu/buffers';
import { ADAPTER_CLASSES, getGpu } from './gpu';
import { byteTokenizerJson } from '../helpers/byte_tokenizer';
import { randomSaeLensFiles } from '../helpers/random_sae';

const MODEL = '/models/glassbox-mini/';
const SAE_DIR = `${MODEL}sae/blocks.2.hook_resid_pre/`;
const K = 32; // the engine's default top-k
const get = async (url: string) => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.arrayBuffer();
};

/** The bundled model with its SAE, built directly (no engine): the whole-run reference. */
async function referenceModel(adapterClass?: 'cpu' | 'gpu') {
  const gpu = await getGpu(adapterClass);
  const cfg = parseGpt2Config(new TextDecoder().decode(await get(`${MODEL}config.json`)));
  const model = new Gpt2(gpu, cfg, gpt2Weights(parseSafetensors(await get(`${MODEL}model.safetensors`), 'model.safetensors'), cfg));
  const saeCfg = parseSaeLensConfig(new TextDecoder().decode(await get(`${SAE_DIR}cfg.json`)));
  model.attachSae(new Sae(gpu, saeCfg, saeLensWeights(parseSafetensors(await get(`${SAE_DIR}sae_weights.safetensors`), 'sae_weights.safetensors'), saeCfg)), K);
  return model;
}

/** A whole run of ids from an empty cache: the SAE's top-k and errors, and its activations (T, S). */
async function whole(model: Transformer, ids: number[]) {
  model.reset();
  const sae = (await model.forward(ids, { logits: 'none' })).sae!;
  const S = model.sae!.cfg.dSae;
  const f = (await readF32(model.gpu.device, model.saeActs!.f)).subarray(0, ids.length * S);
  return { topIdx: sae.topIdx.slice(), topVal: sae.topVal.slice(), err: sae.err.slice(), f };
}

/** Index of the first element where a and b differ (-1: equal), for a readable failure. */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

function expectSame(what: string, got: ArrayLike<number>, want: ArrayLike<number>) {
  const i = firstDiff(got, want);
  expect(i, `${what}: lengths ${got.length} / ${want.length}; first difference at ${i}: ${got[i]} vs ${want[i]}`).toBe(-1);
}

describe('analyze with prefix reuse (bundled model and SAE)', () => {
  let engine: Engine;
  let ref: Gpt2;
  /** Tokens each forward of the engine's model ran, since the last take(). */
  let ran: number[] = [];
  const take = () => ran.splice(0);

  beforeAll(async () => {
    engine = new Engine();
    await engine.load({ kind: 'url', baseUrl: MODEL }, undefined, { kind: 'url', baseUrl: SAE_DIR });
    const model = (engine as unknown as { model: Transformer }).model;
    const forward = model.forward.bind(model);
    model.forward = (ids, opts) => {
      ran.push(ids.length);
      return forward(ids, opts);
    };
    ref = await referenceModel();
  });
  afterAll(async () => {
    await engine?.dispose();
    ref?.sae?.destroy();
    ref?.destroy();
  });

  /** Analyzes text with the engine and checks it against a whole run, bit for bit. */
  async function check(text: string): Promise<AnalyzeResponse> {
    const res = await engine.analyze({ text });
    expect(res.ids, text).toEqual((await engine.tokenize(text)).ids);
    expect(res.k).toBe(K);
    const want = await whole(ref, res.ids);
    expectSame(`"${text}" top-k ids`, res.topIdx, want.topIdx);
    expectSame(`"${text}" top-k values`, res.topVal, want.topVal);
    expectSame(`"${text}" errors`, res.error, want.err);
    return res;
  }

  it('growing, shrinking and edited prompts give the tokens, features and errors of a whole run, running only the new tokens', async () => {
    const base = 'The ship sailed across the ocean and the whale swam under the waves while the crew sang songs of home';
    let prev: number[] = [];
    // [text, how many tokens analyze may run at most (null: all of them)]
    const steps: Array<[string, 'suffix' | 'all']> = [
      [base, 'all'], // nothing analysed yet
      [`${base} a`, 'suffix'], // a character: a new token
      [`${base} an`, 'suffix'], // the last token changes (BPE)
      [`${base} and the cat`, 'suffix'], // a word pasted
      [`${base} and the ca`, 'suffix'], // backspace
      [`${base} and`, 'suffix'], // a word deleted
      [`${base} and`, 'suffix'], // the same text again
      [base.replace('ship', 'boat'), 'suffix'], // an edit near the start: a short common prefix
      ['A fish', 'all'], // nothing in common
      ['A fish in the sea', 'suffix'],
      ['A', 'all'], // one token runs whole (with the decode kernels)
      ['A fish', 'all'], // so its keys and values are not reused
      ['A fish in the sea', 'suffix'],
      ['A fish in', 'suffix'], // at least two tokens always run
      [`${base}`, 'all'],
    ];
    let reused = 0;
    for (const [text, expected] of steps) {
      const res = await check(text);
      const n = take();
      expect(n.length, `"${text}": one forward`).toBe(1);
      let common = 0;
      while (common < Math.min(prev.length, res.ids.length) && prev[common] === res.ids[common]) common++;
      const mustRun = Math.max(res.ids.length - common, Math.min(2, res.ids.length));
      if (expected === 'all') expect(n[0], `"${text}" runs whole`).toBe(res.ids.length);
      else {
        // only the tokens after the common prefix run (two at least)
        expect(n[0], `"${text}": ${res.ids.length} tokens, ${common} shared with the last analysis`).toBe(mustRun);
        expect(n[0]).toBeLessThan(res.ids.length);
        reused++;
      }
      prev = res.ids;
    }
    expect(reused).toBe(10);
  });

  it('featureActivations after a suffix-only analyze runs the prompt whole and gives its values; the reuse survives it', async () => {
    const text = 'The cow and the pig ate hay on the farm while the farmer slept';
    await check(text);
    take();
    const res = await check(`${text} s`);
    expect(take()[0]).toBeLessThan(res.ids.length); // suffix only: the SAE's buffer holds those rows alone
    const T = res.ids.length;
    const S = ref.sae!.cfg.dSae;
    // features firing on the first token, the last and elsewhere, plus the two ends of the range
    const feats = [...new Set([res.topIdx[0], res.topIdx[(T - 1) * K], res.topIdx[(T >> 1) * K + 1], 0, S - 1])];
    const acts = await engine.featureActivations(feats);
    expect(take(), 'the prompt runs again, whole').toEqual([T]);
    const want = await whole(ref, res.ids);
    expectSame('featureActivations', acts.values, Float32Array.from({ length: T * feats.length }, (_, i) => want.f[Math.floor(i / feats.length) * S + feats[i % feats.length]]));
    expect(acts.values.some((v) => v > 0)).toBe(true);
    // fresh now: asking again runs nothing
    expectSame('featureActivations again', (await engine.featureActivations(feats)).values, acts.values);
    expect(take()).toEqual([]);
    // slot 0 holds the whole prompt again: the next keystroke still runs only its new tokens
    const next = await check(`${text} sa`);
    expect(take()[0]).toBeLessThan(next.ids.length);
  });

  it('forward(), generate() and a new SAE between two analyses stop the reuse', async () => {
    const text = 'The ship sailed across the ocean and the whale';
    const T = (await check(text)).ids.length;
    take();
    // a forward of T other ids leaves slot 0 just as long, holding other keys and values
    await engine.forward({ ids: Array.from({ length: T }, (_, i) => 100 + i), logits: 'none' });
    take();
    const a = await check(`${text} s`);
    expect(take(), 'after forward()').toEqual([a.ids.length]);
    // a generation from another prompt, as long as the analysed one when it is done
    const other = (await engine.tokenize('A fish in the sea')).ids;
    const n = a.ids.length - other.length + 1; // a prefill, then n - 1 decode steps
    await engine.generate({ prompt: 'A fish in the sea', maxNewTokens: n, sampling: { temperature: 0, topK: 0, topP: 1 }, seed: 1 }, () => {});
    const model = (engine as unknown as { model: Transformer }).model;
    expect(model.cache(0).length, 'slot 0 after the generation (the check below must not rest on its length)').toBe(a.ids.length);
    take();
    const b = await check(`${text} sa`);
    expect(take(), 'after generate()').toEqual([b.ids.length]);
    // the same SAE loaded again: the results would be the same, but nothing of the last analysis is trusted
    await engine.loadSae({ kind: 'url', baseUrl: SAE_DIR });
    take();
    const c = await check(`${text} sai`);
    expect(take(), 'after loadSae()').toEqual([c.ids.length]);
    // and reuse comes back with the next keystroke
    const d = await check(`${text} sail`);
    expect(take()[0]).toBeLessThan(d.ids.length);
  });
});

describe('a prompt run as prefix + suffix through the KV cache', () => {
  for (const adapterClass of ADAPTER_CLASSES) {
    it(`gives the whole run's SAE output bit for bit (${adapterClass} launch shapes) when both parts have 2 tokens or more`, async () => {
      const model = await referenceModel(adapterClass);
      const ids = Array.from({ length: 41 }, (_, i) => (i * 389 + 17) % model.cfg.vocabSize);
      const want = await whole(model, ids);
      for (const from of [2, 20, 37, 39]) {
        model.reset();
        await model.forward(ids.slice(0, from), { logits: 'none' });
        const sae = (await model.forward(ids.slice(from), { logits: 'none' })).sae!;
        expectSame(`split at ${from}: top-k ids`, sae.topIdx, want.topIdx.subarray(from * K));
        expectSame(`split at ${from}: top-k values`, sae.topVal, want.topVal.subarray(from * K));
        expectSame(`split at ${from}: errors`, sae.err, want.err.subarray(2 * from));
      }
      // one token takes the decode kernels, which sum in another order: close, not the same bits
      // (why analyze always runs two tokens at least and reuses nothing of a one-token prompt)
      model.reset();
      await model.forward(ids.slice(0, 40), { logits: 'none' });
      const one = (await model.forward(ids.slice(40), { logits: 'none' })).sae!;
      const e = Math.abs(one.err[0] - want.err[80]);
      const same = firstDiff(one.topVal, want.topVal.subarray(40 * K)) === -1 && firstDiff(one.err, want.err.subarray(80)) === -1;
      console.log(`[glassbox] ${adapterClass}: a T=1 suffix against the whole run: |error diff| ${e.toExponential(2)}, bit for bit: ${same}`);
      expect(e).toBeLessThan(1e-3 * (1 + want.err[80]));
      model.sae!.destroy();
      model.destroy();
    });
  }
});

describe('analyze with prefix reuse on the decoder families (tests/fixtures/hf)', () => {
  for (const family of ['gemma3', 'gemma2', 'llama', 'qwen3']) {
    it(`${family}: a growing and edited prompt gives a whole run's features and errors, bit for bit`, async () => {
      const dir = `/tests/fixtures/hf/${family}-seed1/`;
      const files = {
        'config.json': await get(`${dir}config.json`),
        'model.safetensors': await get(`${dir}model.safetensors`),
        'tokenizer.json': new TextEncoder().encode(byteTokenizerJson()).buffer as ArrayBuffer,
      };
      const engine = new Engine();
      await engine.load({ kind: 'files', files, weights: 'f32' });
      await engine.loadSae({ kind: 'files', files: randomSaeLensFiles({ dIn: 96, dSae: 200, hookName: 'blocks.3.hook_resid_post', arch: 'jumprelu', seed: 5 }), topK: 8 });
      const model = (engine as unknown as { model: Transformer }).model;
      const forward = model.forward.bind(model);
      const ran: number[] = [];
      model.forward = (ids, opts) => {
        ran.push(ids.length);
        return forward(ids, opts);
      };
      // a byte tokenizer: one token a byte, so the prompts stay inside the 64-position context
      const texts = ['the cat sat on', 'the cat sat on the', 'the cat sat on the mat', 'the cat sat on a mat', 'the dog sat on a mat'];
      // one after another, each reusing the last one's prefix (a chain of suffix-only runs)
      const incremental: AnalyzeResponse[] = [];
      let reused = 0;
      for (const text of texts) {
        const res = await engine.analyze({ text });
        if (ran.splice(0)[0] < res.ids.length) reused++;
        incremental.push(res);
      }
      for (const [i, text] of texts.entries()) {
        // forward() lets nothing be reused: the next analyze runs whole
        await engine.forward({ ids: [1, 2, 3], logits: 'none' });
        ran.splice(0);
        const whole = await engine.analyze({ text });
        expect(ran.splice(0), `${text}: whole`).toEqual([whole.ids.length]);
        const inc = incremental[i];
        expect(inc.ids).toEqual(whole.ids);
        expectSame(`${family} "${text}" top-k ids`, inc.topIdx, whole.topIdx);
        expectSame(`${family} "${text}" top-k values`, inc.topVal, whole.topVal);
        expectSame(`${family} "${text}" errors`, inc.error, whole.error);
        expect(whole.topVal.some((v) => v > 0)).toBe(true);
      }
      expect(reused, 'every prompt after the first ran its new tokens only').toBe(texts.length - 1);
      await engine.dispose();
    });
  }
});
