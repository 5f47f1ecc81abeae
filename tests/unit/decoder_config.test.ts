import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDecoderConfig, ropeInvFreq, type DecoderConfig, type RopeSpec } from '../../src/model/decoder_config';
import { checkDecoderShapes, decoderTensorNames } from '../../src/model/decoder_weights';
import { parseSafetensors } from '../../src/model/safetensors';
import { ModelConfigError, ModelFileError } from '../../src/errors';

import { GEMMA2_2B, GEMMA3_1B, GEMMA3_4B_WRAPPER, LLAMA32_1B, QWEN3_06B } from '../../src/model/hub_configs';

const fixture = (family: string, file: string) => new URL(`../fixtures/hf/${family}-seed1/${file}`, import.meta.url);
const fixtureConfig = (family: string) => parseDecoderConfig(readFileSync(fixture(family, 'config.json'), 'utf8'));
const parse = (cfg: object) => parseDecoderConfig(JSON.stringify(cfg));

function catchError(fn: () => unknown): Error & { field?: string; tensor?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

const rope = (theta: number, extra: Partial<RopeSpec> = {}): RopeSpec => ({ theta, type: 'default', ...extra });
/** Layer specs from a string: 's' sliding (window w, rope local), 'f' full (rope global). */
const layersOf = (pattern: string, w: number, local: RopeSpec, global: RopeSpec) =>
  [...pattern].map((c) => (c === 's' ? { window: w, rope: local } : { window: 0, rope: global }));

// Tiny shared dims of the fixtures (shared/fixtures/hf/make.py, seed 1).
const tiny = { vocabSize: 384, dModel: 96, nLayers: 6, nHeads: 3, nKvHeads: 1, dHead: 32, dMlp: 160, nCtx: 64, attnScale: 32 ** -0.5 };

describe('parseDecoderConfig: the fixtures (5.x spelling)', () => {
  it('Gemma 3: 5 sliding + 1 global layer, rope_parameters keyed by layer type, QK-norm, (1 + w)', () => {
    expect(fixtureConfig('gemma3')).toEqual({
      modelType: 'decoder', family: 'gemma3', hfModelType: 'gemma3_text', ...tiny,
      rmsNormEps: 1e-6, normOffset: 1, embedScale: Math.sqrt(96), act: 'gelu_tanh', qkNorm: true, sandwichNorms: true,
      attnSoftcap: 0, finalSoftcap: 0, attentionBias: false, mlpBias: false, tiedEmbeddings: true,
      layers: layersOf('sssssf', 5, rope(1e4), rope(1e6)),
      bosTokenId: 2, eosTokenIds: [1], padTokenId: 0,
    } satisfies DecoderConfig);
  });

  it('Gemma 2: alternate layers slide (layer 0 first), soft-caps 50 / 30, no QK-norm', () => {
    const c = fixtureConfig('gemma2');
    expect(c).toMatchObject({ family: 'gemma2', ...tiny, normOffset: 1, embedScale: Math.sqrt(96), qkNorm: false, sandwichNorms: true, attnSoftcap: 50, finalSoftcap: 30 });
    expect(c.layers).toEqual(layersOf('sfsfsf', 5, rope(1e4), rope(1e4)));
  });

  it('Llama: llama3 RoPE from rope_parameters, SiLU, plain RMSNorm, no window', () => {
    const c = fixtureConfig('llama');
    const r = rope(500_000, { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 16 });
    expect(c).toMatchObject({ family: 'llama', ...tiny, rmsNormEps: 1e-5, normOffset: 0, embedScale: 1, act: 'silu', qkNorm: false, sandwichNorms: false });
    expect(c).toMatchObject({ attnSoftcap: 0, finalSoftcap: 0, tiedEmbeddings: true, bosTokenId: 2, eosTokenIds: [1], padTokenId: null });
    expect(c.layers).toEqual(layersOf('ffffff', 0, r, r));
  });

  it('Qwen 3: QK-norm, plain RMSNorm, layer_types all full', () => {
    const c = fixtureConfig('qwen3');
    expect(c).toMatchObject({ family: 'qwen3', ...tiny, normOffset: 0, act: 'silu', qkNorm: true, sandwichNorms: false, padTokenId: null });
    expect(c.layers).toEqual(layersOf('ffffff', 0, rope(1e6), rope(1e6)));
  });
});

/** 's'/'f' per layer, read back from a config. */
const pattern = (c: DecoderConfig) => c.layers.map((l) => (l.window ? 's' : 'f')).join('');

describe('parseDecoderConfig: Hub configs in the 4.x spelling', () => {
  it('Gemma 3 1B: every 6th layer global (theta 1e6), the rest slide 512 with theta 1e4', () => {
    const c = parse(GEMMA3_1B);
    expect(c).toMatchObject({ dModel: 1152, nLayers: 26, nHeads: 4, nKvHeads: 1, dHead: 256, dMlp: 6912, nCtx: 32768, vocabSize: 262144 });
    expect(c).toMatchObject({ attnScale: 1 / 16, attnSoftcap: 0, finalSoftcap: 0, eosTokenIds: [1, 106], embedScale: Math.sqrt(1152) });
    expect(pattern(c)).toBe('sssssf'.repeat(4) + 'ss');
    expect(c.layers[5]).toEqual({ window: 0, rope: rope(1e6) });
    expect(c.layers[0]).toEqual({ window: 512, rope: rope(1e4) });
  });

  it('Gemma 3 4B wrapper: text_config over Gemma3TextConfig defaults; rope_scaling (linear 8) on global layers only', () => {
    const c = parse(GEMMA3_4B_WRAPPER);
    expect(c).toMatchObject({ family: 'gemma3', hfModelType: 'gemma3', vocabSize: 262208, dModel: 2560, nLayers: 34, nHeads: 8, nKvHeads: 4, dHead: 256 });
    expect(c).toMatchObject({ dMlp: 10240, nCtx: 131072, attnScale: 1 / 16, tiedEmbeddings: true, bosTokenId: 2, eosTokenIds: [1, 106], padTokenId: 0 });
    expect(pattern(c)).toBe('sssssf'.repeat(5) + 'ssss');
    expect(c.layers[5].rope).toEqual(rope(1e6, { type: 'linear', factor: 8 }));
    expect(c.layers[4]).toEqual({ window: 1024, rope: rope(1e4) });
  });

  it('the same wrapper in the 5.x spelling parses the same', () => {
    const { rope_scaling: _, ...text } = GEMMA3_4B_WRAPPER.text_config;
    const layer_types = Array.from({ length: 34 }, (_, i) => ((i + 1) % 6 ? 'sliding_attention' : 'full_attention'));
    const rope_parameters = { full_attention: { rope_type: 'linear', factor: 8.0, rope_theta: 1e6 }, sliding_attention: { rope_type: 'default', rope_theta: 1e4 } };
    expect(parse({ ...GEMMA3_4B_WRAPPER, text_config: { ...text, layer_types, rope_parameters } })).toEqual(parse(GEMMA3_4B_WRAPPER));
  });

  it('Gemma 2 2B: soft-caps 50 / 30, window 4096 on even layers, query_pre_attn_scalar 256', () => {
    const c = parse(GEMMA2_2B);
    expect(c).toMatchObject({ dModel: 2304, nLayers: 26, nHeads: 8, nKvHeads: 4, dHead: 256, dMlp: 9216, nCtx: 8192, attnScale: 1 / 16 });
    expect(c).toMatchObject({ attnSoftcap: 50, finalSoftcap: 30, act: 'gelu_tanh', qkNorm: false, eosTokenIds: [1] });
    expect(pattern(c)).toBe('sf'.repeat(13));
    expect(c.layers[0]).toEqual({ window: 4096, rope: rope(1e4) });
    // An explicit null turns a soft-cap off; absent, Gemma 2's default applies.
    const { attn_logit_softcapping: _, ...noAttnCap } = GEMMA2_2B;
    expect(parse({ ...noAttnCap, final_logit_softcapping: null })).toMatchObject({ attnSoftcap: 50, finalSoftcap: 0 });
  });

  it('Llama 3.2 1B: rope_scaling llama3 factor 32, head_dim 64, no window, untied unless told', () => {
    const c = parse(LLAMA32_1B);
    const r = rope(500000, { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 });
    expect(c).toMatchObject({ dModel: 2048, nLayers: 16, nHeads: 32, nKvHeads: 8, dHead: 64, attnScale: 1 / 8, rmsNormEps: 1e-5, tiedEmbeddings: true });
    expect(c.layers).toEqual(Array.from({ length: 16 }, () => ({ window: 0, rope: r })));
    const { tie_word_embeddings: _t, head_dim: _h, num_key_value_heads: _k, ...bare } = LLAMA32_1B;
    expect(parse(bare)).toMatchObject({ tiedEmbeddings: false, dHead: 2048 / 32, nKvHeads: 32 });
    // The older `type` key, and original_max_position_embeddings falling back to max_position_embeddings.
    const old = parse({ ...LLAMA32_1B, rope_scaling: { type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4 } });
    expect(old.layers[0].rope).toEqual(rope(500000, { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 131072 }));
    expect(parse({ ...LLAMA32_1B, rope_scaling: { type: 'linear', factor: 2 } }).layers[3].rope).toEqual(rope(500000, { type: 'linear', factor: 2 }));
  });

  it('Qwen 3 0.6B: head_dim 128 (not C / NH), all full; sliding only with use_sliding_window, from max_window_layers', () => {
    const c = parse(QWEN3_06B);
    expect(c).toMatchObject({ dModel: 1024, nHeads: 16, nKvHeads: 8, dHead: 128, attnScale: 128 ** -0.5, qkNorm: true, tiedEmbeddings: true });
    expect(c).toMatchObject({ bosTokenId: 151643, eosTokenIds: [151645], padTokenId: null });
    expect(pattern(c)).toBe('f'.repeat(28));
    const { head_dim: _h, sliding_window: _s, ...bare } = QWEN3_06B;
    expect(parse(bare).dHead).toBe(128);
    const slid = parse({ ...bare, use_sliding_window: true, max_window_layers: 20 });
    expect(pattern(slid)).toBe('f'.repeat(20) + 's'.repeat(8));
    expect(slid.layers[27].window).toBe(4096);
  });
});

describe('ropeInvFreq', () => {
  it('default and linear: theta^(-2i/HS), divided by the factor', () => {
    const d = ropeInvFreq(rope(1e4), 8);
    expect([...d]).toEqual([1, 1e4 ** -0.25, 1e4 ** -0.5, 1e4 ** -0.75]);
    expect([...ropeInvFreq(rope(1e4, { type: 'linear', factor: 8 }), 8)]).toEqual([...d].map((f) => f / 8));
  });

  it('llama3 matches an independent formula, by ratio of context length to wavelength', () => {
    const spec = parse(LLAMA32_1B).layers[0].rope;
    const got = ropeInvFreq(spec, 64);
    for (let i = 0; i < 32; i++) {
      const f = 500000 ** (-i / 32);
      const r = (8192 * f) / (2 * Math.PI); // contexts per wavelength
      const s = Math.min(1, Math.max(0, (r - 1) / (4 - 1))); // 0 below low_freq_factor, 1 above high
      const want = f * (s + (1 - s) / 32);
      expect(Math.abs(got[i] - want)).toBeLessThanOrEqual(1e-15 * f);
    }
    expect(got[0]).toBe(1); // high frequencies untouched
    expect(got[31]).toBeCloseTo(500000 ** (-31 / 32) / 32, 20); // low ones divided by 32
  });
});

describe('parseDecoderConfig: typed errors name the field', () => {
  const cases: Array<[string, object, string, RegExp]> = [
    ['unknown model_type', { ...LLAMA32_1B, model_type: 'mistral' }, 'model_type', /"mistral"/],
    ['unknown rope type (4.x)', { ...LLAMA32_1B, rope_scaling: { rope_type: 'yarn', factor: 4 } }, 'rope_scaling.rope_type', /"yarn"/],
    ['unknown rope type (older key)', { ...LLAMA32_1B, rope_scaling: { type: 'dynamic', factor: 4 } }, 'rope_scaling.type', /"dynamic"/],
    ['unknown rope type (5.x)', { ...QWEN3_06B, rope_parameters: { rope_type: 'longrope', rope_theta: 1e6 } }, 'rope_parameters.rope_type', /"longrope"/],
    ['unknown rope type (wrapper)', { ...GEMMA3_4B_WRAPPER, text_config: { ...GEMMA3_4B_WRAPPER.text_config, rope_scaling: { rope_type: 'yarn', factor: 8 } } }, 'text_config.rope_scaling.rope_type', /"yarn"/],
    ['missing dimension', { ...GEMMA2_2B, hidden_size: undefined }, 'hidden_size', /missing/],
    ['missing llama3 parameter', { ...LLAMA32_1B, rope_scaling: { rope_type: 'llama3', factor: 32, high_freq_factor: 4 } }, 'rope_scaling.low_freq_factor', /missing/],
    ['erf GELU', { ...GEMMA2_2B, hidden_activation: 'gelu' }, 'hidden_activation', /"gelu"/],
    ['layer_types of the wrong length', { ...GEMMA3_1B, layer_types: ['full_attention'] }, 'layer_types', /26/],
    ['an unknown layer type', { ...GEMMA2_2B, layer_types: Array(26).fill('chunked_attention') }, 'layer_types', /chunked_attention/],
    ['sliding layers without a window', { ...GEMMA2_2B, sliding_window: null }, 'sliding_window', /not set/],
    ['GQA that does not divide', { ...LLAMA32_1B, num_key_value_heads: 5 }, 'num_key_value_heads', /divide/],
    ['a bidirectional Gemma', { ...GEMMA3_1B, use_bidirectional_attention: true }, 'use_bidirectional_attention', /causal/],
    ['a quantized checkpoint', { ...QWEN3_06B, quantization_config: { quant_method: 'awq' } }, 'quantization_config', /quantized/],
  ];
  it.each(cases)('%s', (_, cfg, field, message) => {
    const e = catchError(() => parse(cfg));
    expect(e).toBeInstanceOf(ModelConfigError);
    expect(e.name).toBe('ModelConfigError');
    expect(e.field).toBe(field);
    expect(e.message).toContain(`config.json (field "${field}")`);
    expect(e.message).toMatch(message);
  });

  it('a config that is not JSON names the file', () => {
    expect(catchError(() => parseDecoderConfig('{"model_type": ', 'my/config.json')).message).toMatch(/^my\/config\.json: is not valid JSON/);
  });
});

describe('decoderTensorNames', () => {
  for (const family of ['gemma3', 'gemma2', 'llama', 'qwen3']) {
    it(`${family}: names every tensor in the fixture's model.safetensors, with its shape`, () => {
      const buf = readFileSync(fixture(family, 'model.safetensors'));
      const st = parseSafetensors(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), 'model.safetensors');
      const cfg = fixtureConfig(family);
      const names = decoderTensorNames(cfg, st.tensors.keys());
      expect(new Set([...names.values()].map((t) => t.hub))).toEqual(new Set(st.tensors.keys())); // tied: no lm_head stored
      expect(names.get('layers.3.self_attn.k_proj.weight')).toEqual({ hub: 'model.layers.3.self_attn.k_proj.weight', shape: [32, 96] });
      expect(() => checkDecoderShapes(names, st.tensors, st.file)).not.toThrow();

      const gone = [...st.tensors.keys()].filter((n) => n !== 'model.layers.5.mlp.down_proj.weight');
      const e = catchError(() => decoderTensorNames(cfg, gone, 'x.safetensors'));
      expect([e.name, e.tensor]).toEqual(['ModelFileError', 'model.layers.5.mlp.down_proj.weight']);
      const wrong = new Map(st.tensors).set('model.layers.2.self_attn.o_proj.weight', { ...st.tensors.get('model.layers.2.self_attn.o_proj.weight')!, shape: [96, 32] });
      const s = catchError(() => checkDecoderShapes(names, wrong, 'x.safetensors'));
      expect(s).toBeInstanceOf(ModelFileError);
      expect(s.message).toMatch(/^x\.safetensors \(tensor "model\.layers\.2\.self_attn\.o_proj\.weight"\): has shape \[96,32\]/);
    });
  }

  const gemmaNames = [...parseSafetensors(new Uint8Array(readFileSync(fixture('gemma3', 'model.safetensors'))).buffer, 'g').tensors.keys()];
  const cfg = fixtureConfig('gemma3');
  const vision = ['vision_tower.vision_model.embeddings.patch_embedding.weight', 'multi_modal_projector.mm_input_projection_weight'];

  it('finds the Gemma 3 wrapper\'s text model under language_model.model. (Hub) and model.language_model. (5.x)', () => {
    for (const prefix of ['language_model.model.', 'model.language_model.']) {
      const names = decoderTensorNames(cfg, [...vision, ...gemmaNames.map((n) => n.replace(/^model\./, prefix))]);
      expect(names.get('embed_tokens.weight')!.hub).toBe(`${prefix}embed_tokens.weight`);
      expect(names.get('layers.0.self_attn.q_norm.weight')).toEqual({ hub: `${prefix}layers.0.self_attn.q_norm.weight`, shape: [32] });
    }
  });

  it('an untied head is lm_head.weight, or language_model.lm_head.weight in the Hub wrapper layout', () => {
    const untied = { ...cfg, tiedEmbeddings: false };
    expect(decoderTensorNames(untied, [...gemmaNames, 'lm_head.weight']).get('lm_head.weight')).toEqual({ hub: 'lm_head.weight', shape: [384, 96] });
    const hub = gemmaNames.map((n) => n.replace(/^model\./, 'language_model.model.'));
    expect(decoderTensorNames(untied, [...hub, 'language_model.lm_head.weight']).get('lm_head.weight')!.hub).toBe('language_model.lm_head.weight');
    const e = catchError(() => decoderTensorNames(untied, gemmaNames));
    expect([e.name, e.tensor]).toEqual(['ModelFileError', 'lm_head.weight']);
    expect(e.message).toMatch(/tie_word_embeddings is false/);
  });

  it('a checkpoint without embed_tokens names the tensor it looked for', () => {
    const e = catchError(() => decoderTensorNames(cfg, ['transformer.wte.weight'], 'gpt2.safetensors'));
    expect(e).toBeInstanceOf(ModelFileError);
    expect(e.message).toMatch(/^gpt2\.safetensors \(tensor "model\.embed_tokens\.weight"\): is missing/);
  });
});
