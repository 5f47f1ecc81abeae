// The modern decoder forward against tensors computed by Hugging Face transformers' own model code
// (tests/fixtures/hf, made by /work/shared/fixtures/hf/make.py: Gemma3ForCausalLM,
// Gemma2ForCausalLM, LlamaForCausalLM, Qwen3ForCausalLM, f32, eager attention): logits at every
// position, every layer's input and output, and the greedy continuation through the KV cache and
// GPU sampling; for Gemma also from the bf16 file the Hub ships. Both launch shapes.
import { describe, expect, it } from 'vitest';
import { Decoder } from '../../src/model/decoder';
import type { DecoderConfig } from '../../src/model/decoder_config';
import type { Gpu } from '../../src/gpu/gpu';
import { GpuSampler } from '../../src/model/gpu_sampler';
import { parseSafetensors, toFloat32 } from '../../src/model/safetensors';
import { parseGpt2Config } from '../../src/model/config';
import { Gpt2 } from '../../src/model/gpt2';
import { gpt2Weights } from '../../src/model/weights';
import { buildFromFiles } from '../helpers/load_model';
import { compare } from '../util';
import { ADAPTER_CLASSES, getGpu } from './gpu';

interface Reference {
  input_ids: number[];
  logits: number[][];
  resid_pre: number[][][];
  resid_post: number[][][];
  greedy: number[];
}

const dir = (family: string) => `/tests/fixtures/hf/${family}-seed1/`;
async function get(url: string): Promise<ArrayBuffer> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.arrayBuffer();
}

/** The fixture's model through the engine's loader (streamed from a Blob), and its reference. */
async function load(gpu: Gpu, family: string, file = 'model.safetensors'): Promise<{ cfg: DecoderConfig; ref: Reference; model: Decoder }> {
  const ref = JSON.parse(new TextDecoder().decode(await get(`${dir(family)}reference.json`))) as Reference;
  const files = { 'config.json': await get(`${dir(family)}config.json`), 'model.safetensors': await get(`${dir(family)}${file}`) };
  const { config, model } = await buildFromFiles(gpu, files);
  return { cfg: config as DecoderConfig, ref, model: model as Decoder };
}

/** max |got - ref| over max |ref|: the yardstick for logits. */
function relToMax(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(ref[i]));
  return compare(got, ref, 0, 0).maxDiff / m;
}

const flat = (rows: number[][]) => Float32Array.from(rows.flat());

for (const cls of ADAPTER_CLASSES) {
  describe(`decoder against transformers, ${cls} launch shapes`, () => {
    for (const family of ['gemma3', 'gemma2', 'llama', 'qwen3']) {
      it(`${family}: logits, every resid_pre / resid_post, and greedy ids through the KV cache`, async () => {
        const gpu = await getGpu(cls);
        const { cfg, ref, model } = await load(gpu, family);
        await model.warm();
        const L = cfg.nLayers;
        const hooks = Array.from({ length: L }, (_, l) => [`blocks.${l}.hook_resid_pre`, `blocks.${l}.hook_resid_post`]).flat();
        const res = await model.forward(ref.input_ids, { logits: 'all', hooks });
        const logitErr = relToMax(res.logits, flat(ref.logits));
        let residErr = 0;
        for (let l = 0; l < L; l++) {
          residErr = Math.max(residErr, compare(res.hooks[`blocks.${l}.hook_resid_pre`], flat(ref.resid_pre[l]), 0, 0).maxDiff);
          residErr = Math.max(residErr, compare(res.hooks[`blocks.${l}.hook_resid_post`], flat(ref.resid_post[l]), 0, 0).maxDiff);
        }
        console.log(`[glassbox] ${family} (${cls}): max |logit diff| / max |logit| = ${logitErr.toExponential(2)}, max |resid diff| = ${residErr.toExponential(2)}`);
        expect(logitErr).toBeLessThan(1e-4);
        expect(residErr).toBeLessThan(1e-4);

        // greedy: prefill, then one token at a time through the KV cache, sampled on the GPU
        model.reset();
        const sampler = new GpuSampler(gpu, { temperature: 0, topK: 0, topP: 1 }, 0);
        const ids: number[] = [];
        let next = (await model.forward(ref.input_ids, { sampler })).sampled!.id;
        for (let i = 0; i < ref.greedy.length; i++) {
          ids.push(next);
          if (i + 1 < ref.greedy.length) next = (await model.forward([next], { sampler })).sampled!.id;
        }
        expect(ids).toEqual(ref.greedy);
        sampler.destroy();
        model.destroy();
      });
    }
  });
}

// Gemma as the Hub ships it: bf16 weights, widened to f32 at load. Against the f32 reference the
// logits move by bf16's rounding of the weights (8 significant bits): more than the f32 run's
// ~1e-6, far less than a wrong conversion would.
describe('decoder from bf16 checkpoints', () => {
  for (const family of ['gemma3', 'gemma2']) {
    it(`${family}: model.bf16.safetensors within bf16 rounding of the f32 reference`, async () => {
      const gpu = await getGpu();
      const { ref, model } = await load(gpu, family, 'model.bf16.safetensors');
      const res = await model.forward(ref.input_ids, { logits: 'all' });
      const err = relToMax(res.logits, flat(ref.logits));
      console.log(`[glassbox] ${family} bf16: max |logit diff| / max |logit| = ${err.toExponential(2)}`);
      expect(err).toBeGreaterThan(1e-5);
      expect(err).toBeLessThan(3e-2);
      model.destroy();
      // and every weight read from the bf16 file is the f32 weight rounded to bf16 (nearest, ties to even)
      const f32 = parseSafetensors(await get(`${dir(family)}model.safetensors`), 'model.safetensors');
      const b16 = parseSafetensors(await get(`${dir(family)}model.bf16.safetensors`), 'model.bf16.safetensors');
      const u = new Uint32Array(1);
      const f = new Float32Array(u.buffer);
      const toBf16 = (x: number) => {
        f[0] = x;
        u[0] = (u[0] + 0x7fff + ((u[0] >>> 16) & 1)) & 0xffff0000;
        return f[0];
      };
      for (const [name, t] of b16.tensors) {
        expect(t.dtype, name).toBe('BF16');
        const want = toFloat32(f32.tensors.get(name)!).map(toBf16);
        expect(compare(toFloat32(t), want, 0, 0).bad, name).toBe(0);
      }
    });
  }
});

// An independent check of the GPT-2 forward: transformers' GPT2LMHeadModel on an odd shape (C=120, 5 heads).
describe('GPT-2 against transformers', () => {
  it('logits, every resid_pre / resid_post', async () => {
    const gpu = await getGpu();
    const cfg = parseGpt2Config(new TextDecoder().decode(await get(`${dir('gpt2')}config.json`)));
    const ref = JSON.parse(new TextDecoder().decode(await get(`${dir('gpt2')}reference.json`))) as Reference;
    const model = new Gpt2(gpu, cfg, gpt2Weights(parseSafetensors(await get(`${dir('gpt2')}model.safetensors`), 'model.safetensors'), cfg));
    const hooks = Array.from({ length: cfg.nLayers }, (_, l) => [`blocks.${l}.hook_resid_pre`, `blocks.${l}.hook_resid_post`]).flat();
    const res = await model.forward(ref.input_ids, { logits: 'all', hooks });
    const err = relToMax(res.logits, flat(ref.logits));
    console.log(`[glassbox] gpt2 (transformers fixture): max |logit diff| / max |logit| = ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-4);
    for (let l = 0; l < cfg.nLayers; l++) {
      expect(compare(res.hooks[`blocks.${l}.hook_resid_pre`], flat(ref.resid_pre[l]), 1e-4, 0).bad).toBe(0);
      expect(compare(res.hooks[`blocks.${l}.hook_resid_post`], flat(ref.resid_post[l]), 1e-4, 0).bad).toBe(0);
    }
    model.reset();
    const sampler = new GpuSampler(gpu, { temperature: 0, topK: 0, topP: 1 }, 0);
    const ids = [(await model.forward(ref.input_ids, { sampler })).sampled!.id];
    while (ids.length < ref.greedy.length) ids.push((await model.forward([ids[ids.length - 1]], { sampler })).sampled!.id);
    expect(ids).toEqual(ref.greedy);
    sampler.destroy();
    model.destroy();
  });
});
