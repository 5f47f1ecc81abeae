// The whole GPU forward against the CPU reference forward, on random GPT-2-layout checkpoints
// with odd sizes (C=96 with NH=3, a vocab that is not a multiple of 64, T not a multiple of 64).
import { describe, expect, it } from 'vitest';
import { Gpt2 } from '../../src/model/gpt2';
import { gpt2Ref } from '../../src/reference/gpt2';
import { Rng } from '../../src/model/rng';
import { argmaxRows, compare, expectClose, expectTopkClose } from '../util';
import { DTYPE_BYTES, roundToHalf } from '../../src/gpu/f16';
import { saeRef } from '../../src/reference/sae';
import { halfWeights, randomModel } from '../helpers/load_model';
import { ADAPTER_CLASSES, getGpu } from './gpu';
import { Sae } from '../../src/sae/sae';
import { parseSaeLensConfig, saeLensWeights } from '../../src/sae/formats';
import { parseSafetensors } from '../../src/model/safetensors';
import { randomSaeLensFiles } from '../helpers/random_sae';

const spec = { nLayers: 2, dModel: 96, nHeads: 3, vocab: 1001, nCtx: 80, seed: 1, prefix: true };

// The whole forward and the KV-cached decode in both launch shapes ('gpu': tiled matmul, split-K
// matvec, cooperative LM head), on this adapter.
describe.each(ADAPTER_CLASSES)('GPT-2 forward, %s variant', (cls) => {
  it('GPU logits and hooks match the CPU reference (T=67)', async () => {
    const gpu = await getGpu(cls);
    const { cfg, weights } = randomModel(spec);
    const rng = new Rng(5);
    const ids = Array.from({ length: 67 }, () => rng.int(cfg.vocabSize));
    const model = new Gpt2(gpu, cfg, weights);
    const hooks = ['blocks.0.hook_resid_pre', 'blocks.0.hook_resid_mid', 'blocks.1.hook_resid_post'];
    const got = await model.forward(ids, { logits: 'all', hooks });
    const ref = gpt2Ref(cfg, weights, ids);
    const V = cfg.vocabSize;
    const { maxDiff } = compare(got.logits, ref.logits, 0, 0);
    console.log(`[glassbox] random GPT-2 (L=2, C=96, NH=3, V=1001, T=67): max |logit diff| = ${maxDiff.toExponential(2)}`);
    expectClose('logits', got.logits, ref.logits, 1e-3, 0);
    expect(argmaxRows(got.logits, ids.length, V)).toEqual(argmaxRows(ref.logits, ids.length, V));
    for (const h of hooks) expectClose(h, got.hooks[h], ref.hooks[h], 1e-4, 1e-4);
    model.destroy();
  });

  it('a 1-token prompt works', async () => {
    const gpu = await getGpu(cls);
    const { cfg, weights } = randomModel({ ...spec, seed: 2 });
    const model = new Gpt2(gpu, cfg, weights);
    const got = await model.forward([7], { logits: 'all' });
    expectClose('logits T=1', got.logits, gpt2Ref(cfg, weights, [7]).logits, 1e-3, 0);
    model.destroy();
  });

  it('decoding token by token with the KV cache equals a full recompute', async () => {
    const gpu = await getGpu(cls);
    const { cfg, weights } = randomModel({ ...spec, seed: 3 });
    const rng = new Rng(9);
    const ids = Array.from({ length: 12 }, () => rng.int(cfg.vocabSize));
    const model = new Gpt2(gpu, cfg, weights);
    const full = await model.forward(ids, { logits: 'all' });
    model.reset();
    const V = cfg.vocabSize;
    await model.forward(ids.slice(0, 4), { logits: 'last' }); // prefill, then decode one at a time
    for (let t = 4; t < ids.length; t++) {
      const step = await model.forward([ids[t]], { logits: 'last', hooks: ['blocks.1.hook_resid_post'] });
      expectClose(`decode logits t=${t}`, step.logits, full.logits.subarray(t * V, (t + 1) * V), 1e-4, 0);
    }
    expect(model.cache().length).toBe(ids.length);
    model.destroy();
  });
});

describe('GPT-2 forward', () => {
  it('an input longer than one plan runs in chunks and gives the same logits, hooks and SAE output', async () => {
    const gpu = await getGpu();
    const { cfg, weights } = randomModel({ ...spec, seed: 6 });
    const model = new Gpt2(gpu, cfg, weights);
    const files = randomSaeLensFiles({ dIn: 96, dSae: 64, hookName: 'blocks.1.hook_resid_pre', arch: 'standard', seed: 2 });
    const saeCfg = parseSaeLensConfig(new TextDecoder().decode(files['cfg.json']));
    model.attachSae(new Sae(gpu, saeCfg, saeLensWeights(parseSafetensors(files['sae_weights.safetensors'], 'sae.safetensors'), saeCfg)), 8);
    const ids = Array.from({ length: 13 }, (_, i) => (i * 37) % cfg.vocabSize);
    const opts = { logits: 'all' as const, hooks: ['blocks.0.hook_resid_mid'] };
    const whole = await model.forward(ids, opts);
    model.reset();
    model.maxT = 5; // 5 + 5 + 3
    const chunked = await model.forward(ids, opts);
    expectClose('chunked logits', chunked.logits, whole.logits, 1e-5, 1e-5);
    expectClose('chunked hook', chunked.hooks['blocks.0.hook_resid_mid'], whole.hooks['blocks.0.hook_resid_mid'], 1e-6, 1e-6);
    expect([...chunked.sae!.topIdx]).toEqual([...whole.sae!.topIdx]);
    expectClose('chunked SAE error', chunked.sae!.err, whole.sae!.err, 1e-5, 1e-5);
    model.sae!.destroy();
    model.destroy();
  });

  // GPT-2's f32 wte is 154 MB, over the default 128 MiB binding limit; in f16 it is 77 MB. The
  // parts are sized by the stored dtype; the ids straddle the part edges (rows 400 and 800).
  for (const [dtype, seed] of [['f32', 4], ['f16', 13]] as const) {
    it(`splits ${dtype} wte over several buffers when it exceeds the binding limit`, async () => {
      const gpu = await getGpu();
      const { cfg, weights } = randomModel({ ...spec, seed });
      const saved = gpu.ctx.maxBinding;
      gpu.ctx.maxBinding = 400 * cfg.dModel * DTYPE_BYTES[dtype]; // wte (1001 rows) -> 3 parts; c_fc (96 x 384) still fits
      const model = new Gpt2(gpu, cfg, weights, dtype);
      gpu.ctx.maxBinding = saved;
      const ids = [1000, 0, 399, 400, 800, 999];
      const got = await model.forward(ids, { logits: 'all' });
      const ref = gpt2Ref(cfg, dtype === 'f16' ? halfWeights(cfg, weights) : weights, ids);
      expectClose(`logits, split ${dtype} wte`, got.logits, ref.logits, 1e-3, 0);
      model.destroy();
    });
  }
});

// f16 weight storage: the same forward with the matrices (and the SAE's W_enc) stored as halves,
// against the CPU reference given the same weights rounded to halves, so the match is as tight
// as in f32. Prefill, decode through the KV cache, and the SAE at its hook (a split f16 wte is above).
describe('GPT-2 forward, f16 weights', () => {
  it('prefill logits, hooks and SAE top-k match the reference with f16-rounded weights; decode matches prefill', async () => {
    const gpu = await getGpu();
    const { cfg, weights } = randomModel({ ...spec, seed: 11 });
    const files = randomSaeLensFiles({ dIn: 96, dSae: 64, hookName: 'blocks.1.hook_resid_pre', arch: 'standard', seed: 4 });
    const saeCfg = parseSaeLensConfig(new TextDecoder().decode(files['cfg.json']));
    const saeW = saeLensWeights(parseSafetensors(files['sae_weights.safetensors'], 'sae.safetensors'), saeCfg);
    const model = new Gpt2(gpu, cfg, weights, 'f16');
    const K = 8;
    model.attachSae(new Sae(gpu, saeCfg, saeW, 'f16'), K);
    const f32Model = new Gpt2(gpu, cfg, weights);
    expect(model.gpuBytes().weights).toBeLessThan(0.6 * f32Model.gpuBytes().weights);
    f32Model.destroy();
    const rng = new Rng(12);
    const ids = Array.from({ length: 67 }, () => rng.int(cfg.vocabSize));
    const hook = 'blocks.1.hook_resid_pre';
    const got = await model.forward(ids, { logits: 'all', hooks: [hook] });
    const ref = gpt2Ref(cfg, halfWeights(cfg, weights), ids);
    const exact = gpt2Ref(cfg, weights, ids);
    const V = cfg.vocabSize;
    console.log(
      `[glassbox] f16 weights (L=2, C=96, V=1001, T=67): max |logit diff| ${compare(got.logits, ref.logits, 0, 0).maxDiff.toExponential(2)} ` +
        `vs the f16-rounded reference, ${compare(got.logits, exact.logits, 0, 0).maxDiff.toExponential(2)} vs the f32 one`,
    );
    expectClose('f16 logits', got.logits, ref.logits, 1e-3, 0);
    expect(argmaxRows(got.logits, ids.length, V)).toEqual(argmaxRows(ref.logits, ids.length, V));
    expectClose('f16 hook', got.hooks[hook], ref.hooks[hook], 1e-4, 1e-4);
    const saeHalf = new Map(saeW);
    saeHalf.set('W_enc', roundToHalf(saeW.get('W_enc')!));
    const saeExpected = saeRef(saeCfg, saeHalf, ref.hooks[hook], ids.length, K);
    expectTopkClose('f16 SAE', got.sae!.topIdx, got.sae!.topVal, saeExpected.top);
    // decode: the last 3 tokens one at a time (matvec, and the logits kernel over W_enc^T)
    model.reset();
    await model.forward(ids.slice(0, 64), { logits: 'none' });
    for (let t = 64; t < ids.length; t++) {
      const step = await model.forward([ids[t]], { logits: 'last' });
      expectClose(`f16 decode t=${t}`, step.logits, got.logits.subarray(t * V, (t + 1) * V), 1e-4, 0);
      expectTopkClose(`f16 SAE decode t=${t}`, step.sae!.topIdx, step.sae!.topVal, {
        idx: saeExpected.top.idx.subarray(t * K, (t + 1) * K),
        val: saeExpected.top.val.subarray(t * K, (t + 1) * K),
      });
    }
    model.sae!.destroy();
    model.destroy();
  });
});
