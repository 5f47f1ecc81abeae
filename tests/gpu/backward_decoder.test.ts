// The GPU modern-decoder backward (src/model/decoder_backward.ts): d target / d resid_pre[L] for
// every layer, against torch autograd in float64 on the fixture checkpoints of Gemma 3, Gemma 2,
// Llama 3 and Qwen 3 (tools/grad_reference_decoder.py, transformers' own model code), within 1e-4
// relative (max |diff| / max |ref| per layer), both targets; and against the CPU twin
// (src/reference/backward/decoder.ts) on tiny random decoders with awkward shapes: T=1, and T=9
// with repeated tokens, a sliding window shorter than the prompt, grouped-query heads of 6,
// small soft-caps, an untied head and biases.
import { describe, expect, it } from 'vitest';
import { parseDecoderConfig } from '../../src/model/decoder_config';
import { parseSafetensors } from '../../src/model/safetensors';
import { decoderGradients } from '../../src/model/decoder_backward';
import { decoderBackwardRef, decoderWeightsF32, randomDecoder } from '../../src/reference/backward/decoder';
import { expectScaledClose, type GradFixture } from '../helpers/grad_fixture';
import { getGpu } from './gpu';

const get = async (url: string) => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r;
};
const dir = (family: string) => `/tests/fixtures/hf/${family}-seed1/`;
const FAMILIES = ['gemma3', 'gemma2', 'llama', 'qwen3'];

describe('GPU decoder backward', () => {
  it.each(FAMILIES)('hf %s-seed1: d target / d resid_pre[L] matches torch autograd within 1e-4 relative', async (family) => {
    const g = await getGpu();
    const cfg = parseDecoderConfig(await (await get(`${dir(family)}config.json`)).text());
    const w = await decoderWeightsF32(cfg, parseSafetensors(await (await get(`${dir(family)}model.safetensors`)).arrayBuffer(), 'model.safetensors'));
    const fx: GradFixture = await (await get(`${dir(family)}grad_reference.json`)).json();
    expect(fx.n_layer).toBe(cfg.nLayers);
    for (const [tname, t] of Object.entries(fx.targets)) {
      const got = await decoderGradients(g, cfg, w, fx.input_ids, { position: t.position, token: t.token, minusToken: t.minus_token });
      expect(got.length).toBe(cfg.nLayers);
      const worst = got.map((gl, l) => expectScaledClose(`${family} ${tname} L=${l}`, gl, t.grad_resid_pre[l], 1e-4));
      console.log(`[backward] GPU ${family} ${tname}: max |diff| / max |torch| per layer ${worst.map((r) => r.toExponential(1)).join(' ')}`);
    }
  });

  it.each(FAMILIES)('tiny random %s (C=12, 4 heads over 2 KV heads of 6, T=1 and T=9) matches the CPU twin', async (family) => {
    const g = await getGpu();
    const { cfg, w } = randomDecoder(await (await get(`${dir(family)}config.json`)).text(), family, 7);
    for (const ids of [[5], [3, 10, 3, 0, 7, 7, 2, 9, 3]]) {
      const tg = { position: ids.length > 1 ? 6 : 0, token: 4, minusToken: ids.length > 1 ? 8 : null };
      const got = await decoderGradients(g, cfg, w, ids, tg);
      const ref = decoderBackwardRef(cfg, w, ids, tg).grads;
      got.forEach((gl, l) => expectScaledClose(`${family} T=${ids.length} L=${l}`, gl, ref[l], 1e-4));
    }
  });
});
