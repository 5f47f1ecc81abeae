// The GPU GPT-2 backward (src/model/backward.ts): d target / d resid_pre[L] for every layer, against
// torch autograd in float64 on the fixture checkpoints (tools/grad_reference.py, its own GPT-2
// in torch, not the app's code), within 1e-4 relative (max |diff| / max |ref| per layer); and
// against the CPU twin (src/reference/backward/gpt2.ts) on a tiny random model with awkward shapes.
import { describe, expect, it } from 'vitest';
import { parseGpt2Config } from '../../src/model/config';
import { parseSafetensors } from '../../src/model/safetensors';
import { Gpt2 } from '../../src/model/gpt2';
import { gpt2Weights, halfWeights } from '../../src/model/weights';
import { gpt2Gradients } from '../../src/model/backward';
import { gpt2BackwardRef } from '../../src/reference/backward/gpt2';
import { randomGpt2Files } from '../helpers/random_model';
import { expectScaledClose, type GradFixture } from '../helpers/grad_fixture';
import { getGpu } from './gpu';

const get = async (url: string) => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r;
};

const fixtures = [
  { name: 'hf gpt2-seed1', config: '/tests/fixtures/hf/gpt2-seed1/config.json', st: '/tests/fixtures/hf/gpt2-seed1/model.safetensors', grads: '/tests/fixtures/hf/gpt2-seed1/grad_reference.json' },
  { name: 'bundled glassbox-mini', config: '/models/glassbox-mini/config.json', st: '/models/glassbox-mini/model.safetensors', grads: '/tests/fixtures/glassbox-mini.grad_reference.json' },
];

describe('GPU GPT-2 backward', () => {
  it.each(fixtures)('$name: d target / d resid_pre[L] matches torch autograd within 1e-4 relative', async ({ name, config, st, grads: gpath }) => {
    const g = await getGpu();
    const cfg = parseGpt2Config(await (await get(config)).text());
    const w = gpt2Weights(parseSafetensors(await (await get(st)).arrayBuffer(), st), cfg);
    const fx: GradFixture = await (await get(gpath)).json();
    expect(fx.n_layer).toBe(cfg.nLayers);
    const model = new Gpt2(g, cfg, w);
    for (const [tname, t] of Object.entries(fx.targets)) {
      const got = await gpt2Gradients(model, fx.input_ids, { position: t.position, token: t.token, minusToken: t.minus_token });
      expect(got.length).toBe(cfg.nLayers);
      const worst = got.map((gl, l) => expectScaledClose(`${name} ${tname} L=${l}`, gl, t.grad_resid_pre[l], 1e-4));
      console.log(`[backward] GPU ${name} ${tname}: max |diff| / max |torch| per layer ${worst.map((r) => r.toExponential(1)).join(' ')}`);
    }
    model.destroy();
  });

  it('tiny random GPT-2 (C=20, 5 heads of 4, T=1 and T=9 with repeated tokens) matches the CPU twin', async () => {
    const g = await getGpu();
    const files = randomGpt2Files({ nLayers: 2, dModel: 20, nHeads: 5, vocab: 13, nCtx: 12, seed: 7 });
    const cfg = parseGpt2Config(files.config);
    const w = gpt2Weights(parseSafetensors(files.safetensors.slice().buffer, 'random.safetensors'), cfg);
    const model = new Gpt2(g, cfg, w);
    for (const ids of [[5], [3, 11, 3, 0, 7, 7, 2, 12, 3]]) {
      const tg = { position: ids.length > 1 ? 6 : 0, token: 4, minusToken: ids.length > 1 ? 9 : null };
      const got = await gpt2Gradients(model, ids, tg);
      const ref = gpt2BackwardRef(cfg, w, ids, tg).grads;
      got.forEach((gl, l) => expectScaledClose(`T=${ids.length} L=${l}`, gl, ref[l], 1e-4));
    }
    model.destroy();
  });

  it('a model stored as f16 runs the backward on its own tensors and matches the twin on the f16-rounded weights', async () => {
    const g = await getGpu();
    const files = randomGpt2Files({ nLayers: 2, dModel: 20, nHeads: 5, vocab: 13, nCtx: 12, seed: 9 });
    const cfg = parseGpt2Config(files.config);
    const w = gpt2Weights(parseSafetensors(files.safetensors.slice().buffer, 'random.safetensors'), cfg);
    const model = new Gpt2(g, cfg, w, 'f16');
    const ids = [3, 11, 3, 0, 7, 7, 2, 12, 3];
    const tg = { position: 8, token: 4, minusToken: 9 };
    const got = await gpt2Gradients(model, ids, tg);
    const ref = gpt2BackwardRef(cfg, halfWeights(cfg, w), ids, tg).grads;
    got.forEach((gl, l) => expectScaledClose(`f16 L=${l}`, gl, ref[l], 1e-4));
    model.destroy();
  });
});
