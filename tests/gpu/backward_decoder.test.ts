// The GPU modern-decoder backward (src/model/decoder_backward.ts, Decoder.gradients) on a Decoder's
// own tensors: d target / d resid_pre[L] for every layer, against torch autograd in float64 on the
// fixture checkpoints of Gemma 3, Gemma 2, Llama 3 and Qwen 3 (tools/grad_reference_decoder.py,
// transformers' own model code) loaded as the engine loads them, within 1e-4 relative
// (max |diff| / max |ref| per layer), both targets; and against the CPU twin
// (src/reference/backward/decoder.ts) on tiny random decoders with awkward shapes: T=1, and T=9
// with repeated tokens, a sliding window shorter than the prompt, grouped-query heads of 6,
// small soft-caps, an untied head and biases; f32 and f16 matrices.
import { describe, expect, it } from 'vitest';
import { parseDecoderConfig } from '../../src/model/decoder_config';
import { decoderGpuShapes } from '../../src/model/decoder_prep';
import type { Decoder } from '../../src/model/decoder';
import { decoderGradients } from '../../src/model/decoder_backward';
import { Rng } from '../../src/model/rng';
import { decoderBackwardRef, randomDecoder } from '../../src/reference/backward/decoder';
import { expectScaledClose, type GradFixture } from '../helpers/grad_fixture';
import { buildFromFiles, decoderFromWeights, halfDecoderWeights } from '../helpers/load_model';
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
    const files = { 'config.json': await (await get(`${dir(family)}config.json`)).arrayBuffer(), 'model.safetensors': await (await get(`${dir(family)}model.safetensors`)).arrayBuffer() };
    const model = (await buildFromFiles(g, files)).model as Decoder;
    const fx: GradFixture = await (await get(`${dir(family)}grad_reference.json`)).json();
    expect(fx.n_layer).toBe(model.cfg.nLayers);
    for (const [tname, t] of Object.entries(fx.targets)) {
      const got = await model.gradients(fx.input_ids, { position: t.position, token: t.token, minusToken: t.minus_token });
      expect(got.length).toBe(model.cfg.nLayers);
      const worst = got.map((gl, l) => expectScaledClose(`${family} ${tname} L=${l}`, gl, t.grad_resid_pre[l], 1e-4));
      console.log(`[backward] GPU ${family} ${tname}: max |diff| / max |torch| per layer ${worst.map((r) => r.toExponential(1)).join(' ')}`);
    }
    model.destroy();
  });

  // f16: the GPU reads the halves the matrices were rounded to and widens them exactly to f32, so
  // against the twin on the same rounded matrices (halfDecoderWeights) only f32-vs-f64 arithmetic
  // differs, as in the f32 case: the same 1e-4 holds (seen: <= 2.5e-6, as backward_gpt2.test.ts's
  // f16 case). Against the unrounded weights it would not: f16 storage moves each weight by up to
  // 2^-11 relative, and the gradients with it.
  for (const dtype of ['f32', 'f16'] as const) {
    const tol = 1e-4;
    it.each(FAMILIES)(`tiny random %s (C=12, 4 heads over 2 KV heads of 6, T=1 and T=9), ${dtype} matrices: matches the CPU twin within ${tol}`, async (family) => {
      const g = await getGpu();
      const { cfg, w } = randomDecoder(await (await get(`${dir(family)}config.json`)).text(), family, 7);
      const model = decoderFromWeights(g, cfg, w, dtype);
      const wRef = dtype === 'f16' ? halfDecoderWeights(cfg, w) : w;
      for (const ids of [[5], [3, 10, 3, 0, 7, 7, 2, 9, 3]]) {
        const tg = { position: ids.length > 1 ? 6 : 0, token: 4, minusToken: ids.length > 1 ? 8 : null };
        const got = await decoderGradients(model, ids, tg);
        const ref = decoderBackwardRef(cfg, wRef, ids, tg).grads;
        const worst = got.map((gl, l) => expectScaledClose(`${family} ${dtype} T=${ids.length} L=${l}`, gl, ref[l], tol));
        if (dtype === 'f16') console.log(`[backward] GPU ${family} f16 T=${ids.length}: max |diff| / max |ref| per layer ${worst.map((r) => r.toExponential(1)).join(' ')}`);
      }
      model.destroy();
    });
  }

  it('f16 matrices with a width not a multiple of 4: a clear error before any GPU work', async () => {
    const g = await getGpu();
    const base = randomDecoder(await (await get(`${dir('llama')}config.json`)).text(), 'llama', 3).cfg;
    const cfg = { ...base, dMlp: 5 }; // gate_up (C, 2F = 10)
    const rng = new Rng(1);
    const w = new Map(decoderGpuShapes(cfg).map(([name, shape]) => [name, rng.array(shape.reduce((a, b) => a * b, 1), 0.3)]));
    const model = decoderFromWeights(g, cfg, w, 'f16');
    await expect(decoderGradients(model, [1, 2, 3], { position: 2, token: 4 })).rejects.toThrow(/layers\.0\.gate_up is f16 with 10 output columns, not a multiple of 4/);
    model.destroy();
  });
});
