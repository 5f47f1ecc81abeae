import { describe, expect, it } from 'vitest';
import { parseSaeLensConfig, saeLensWeights } from '../../src/sae/formats';
import { parseGemmaScopeNpz, parseNpy } from '../../src/sae/npz';
import { steeringEntries } from '../../src/sae/steering';
import { NO_END } from '../../src/kernels/steer';
import { parseGemmaScope2 } from '../../src/sae/gemma_scope2';
import { readSae } from '../../src/sae/load';
import { parseSafetensors, writeSafetensors } from '../../src/model/safetensors';
import { roundToHalf } from '../../src/gpu/f16';
import { EngineStateError, ModelConfigError, ModelFileError, SaeCompatibilityError } from '../../src/errors';
import { npy, randomGemmaScope2Files, randomGemmaScopeNpz, randomSaeLensFiles, randomSaeTensors, type RandomGemmaScope2Spec } from '../helpers/random_sae';

const dec = new TextDecoder();

describe('SAELens cfg.json', () => {
  it('reads the v6 layout, with model fields under metadata', () => {
    const files = randomSaeLensFiles({ dIn: 8, dSae: 16, hookName: 'blocks.2.hook_resid_pre', arch: 'topk', k: 4, seed: 1, norm: 'layer_norm', center: true });
    expect(parseSaeLensConfig(dec.decode(files['cfg.json']))).toEqual({
      architecture: 'topk', dIn: 8, dSae: 16, k: 4, applyBDecToInput: true, normalizeActivations: 'layer_norm',
      normScalingFactor: null, hookName: 'blocks.2.hook_resid_pre', modelName: 'random-gpt2', centerWritingWeights: true,
    });
  });

  it('reads the pre-v6 layout (gpt2-small-res-jb style): hook_point, activation_fn_str, defaults', () => {
    const cfg = parseSaeLensConfig(JSON.stringify({
      model_name: 'gpt2-small', hook_point: 'blocks.6.hook_resid_pre', hook_point_layer: 6, d_in: 768, d_sae: 24576,
      dtype: 'torch.float32', model_from_pretrained_kwargs: { center_writing_weights: true },
    }));
    expect(cfg).toMatchObject({ architecture: 'standard', applyBDecToInput: true, normalizeActivations: 'none', hookName: 'blocks.6.hook_resid_pre', centerWritingWeights: true });
    const topk = parseSaeLensConfig(JSON.stringify({ hook_name: 'blocks.11.hook_resid_post', d_in: 768, d_sae: 32768, activation_fn_str: 'topk', activation_fn_kwargs: { k: 32 }, normalize_activations: 'layer_norm' }));
    expect(topk).toMatchObject({ architecture: 'topk', k: 32, normalizeActivations: 'layer_norm', centerWritingWeights: false });
    expect(parseSaeLensConfig(JSON.stringify({ hook_name: 'blocks.0.hook_resid_pre', d_in: 4, d_sae: 8, normalize_activations: true })).normalizeActivations).toBe('expected_average_only_in');
  });

  it('applies overrides (a release-level centring flag, a scaling factor)', () => {
    const cfg = parseSaeLensConfig(JSON.stringify({ hook_point: 'blocks.0.hook_resid_pre', d_in: 4, d_sae: 8 }), 'cfg.json', { centerWritingWeights: true, normScalingFactor: 2 });
    expect(cfg).toMatchObject({ centerWritingWeights: true, normScalingFactor: 2 });
  });

  it('names the file and field on bad input', () => {
    const bad = (o: object) => () => parseSaeLensConfig(JSON.stringify({ hook_name: 'blocks.0.hook_resid_pre', d_in: 4, d_sae: 8, ...o }));
    expect(() => parseSaeLensConfig('{', 'cfg.json')).toThrow(ModelConfigError);
    expect(bad({ d_sae: 0 })).toThrow(/field "d_sae"/);
    expect(bad({ architecture: 'matryoshka' })).toThrow(/field "architecture"/);
    expect(bad({ normalize_activations: 'whiten' })).toThrow(/field "normalize_activations"/);
    expect(bad({ hook_name: undefined })).toThrow(/field "hook_name"/);
    expect(bad({ activation_fn_str: 'tanh' })).toThrow(SaeCompatibilityError);
  });

  it('checks weight names and shapes against the cfg', () => {
    const files = randomSaeLensFiles({ dIn: 8, dSae: 16, hookName: 'blocks.0.hook_resid_pre', arch: 'jumprelu', seed: 2 });
    const st = () => parseSafetensors(files['sae_weights.safetensors'].slice(0), 'sae_weights.safetensors');
    const cfg = parseSaeLensConfig(dec.decode(files['cfg.json']));
    expect(saeLensWeights(st(), cfg).get('threshold')!.length).toBe(16);
    expect(() => saeLensWeights(st(), { ...cfg, dSae: 32 })).toThrow(/W_enc.*shape \[8,16\] but cfg\.json \(d_in 8, d_sae 32\) implies \[8,32\]/);
    expect(() => saeLensWeights(st(), { ...cfg, architecture: 'gated' })).toThrow(ModelFileError);
  });
});

describe('Gemma Scope npz', () => {
  it('parses .npy headers (f4, 1-D and 2-D) and refuses garbage', () => {
    const a = parseNpy(npy(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]), 'x.npy');
    expect(a.shape).toEqual([2, 3]);
    expect([...a.data()]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(parseNpy(npy(Float32Array.from([7]), [1]), 'y.npy').shape).toEqual([1]);
    expect(() => parseNpy(new Uint8Array(20), 'z.npy')).toThrow(/not a \.npy/);
  });

  it('loads params.npz as a JumpReLU SAE without b_dec subtraction', () => {
    const { cfg, weights } = parseGemmaScopeNpz(randomGemmaScopeNpz({ dIn: 8, dSae: 16, hookName: '', arch: 'jumprelu', seed: 3 }), 'blocks.3.hook_resid_post');
    expect(cfg).toMatchObject({ architecture: 'jumprelu', dIn: 8, dSae: 16, applyBDecToInput: false, hookName: 'blocks.3.hook_resid_post' });
    expect(weights.get('threshold')!.length).toBe(16);
    expect(() => parseGemmaScopeNpz(new ArrayBuffer(10), 'blocks.0.hook_resid_post')).toThrow(/params\.npz: is not a readable \.npz/);
  });
});

describe('Gemma Scope 2 (config.json + params.safetensors)', () => {
  const spec: RandomGemmaScope2Spec = { dIn: 8, dSae: 16, hookName: 'blocks.3.hook_resid_post', seed: 4 };
  const parse = (files: Record<string, ArrayBuffer>, folder = '', hookName?: string) =>
    parseGemmaScope2(dec.decode(files['config.json']), files['params.safetensors'], hookName ? { hookName } : {}, folder);
  const withConfig = (config: Record<string, unknown>) => randomGemmaScope2Files({ ...spec, config });
  /** params.safetensors from the random tensors, with some replaced or removed. */
  type Tensor = { shape: number[]; data: Float32Array | Int32Array };
  const withParams = (change: Record<string, Tensor | undefined>) => {
    const t = randomSaeTensors({ ...spec, arch: 'jumprelu' });
    const all: Record<string, Tensor | undefined> = {
      w_enc: { shape: [8, 16], data: t.W_enc }, w_dec: { shape: [16, 8], data: t.W_dec },
      b_enc: { shape: [16], data: t.b_enc }, b_dec: { shape: [8], data: t.b_dec }, threshold: { shape: [16], data: t.threshold },
      ...change,
    };
    const kept = Object.fromEntries(Object.entries(all).filter(([, v]) => v)) as Record<string, Tensor>;
    return { ...randomGemmaScope2Files(spec), 'params.safetensors': writeSafetensors(kept).buffer as ArrayBuffer };
  };

  it('reads the Hub layout: JumpReLU on the raw residual, d_in from w_enc, the hook from hf_hook_point_in', () => {
    const { cfg, weights } = parse(randomGemmaScope2Files(spec));
    expect(cfg).toEqual({
      architecture: 'jumprelu', dIn: 8, dSae: 16, k: null, applyBDecToInput: false, normalizeActivations: 'none',
      normScalingFactor: null, hookName: 'blocks.3.hook_resid_post', modelName: 'google/gemma-3-270m-pt', centerWritingWeights: false,
    });
    const t = randomSaeTensors({ ...spec, arch: 'jumprelu' });
    for (const name of ['W_enc', 'W_dec', 'b_enc', 'b_dec', 'threshold']) expect(weights.get(name)).toEqual(t[name]);
  });

  it('reads f16 and bf16 tensors', () => {
    const t = randomSaeTensors({ ...spec, arch: 'jumprelu' });
    expect(parse(randomGemmaScope2Files({ ...spec, dtype: 'F16' })).weights.get('W_enc')).toEqual(roundToHalf(t.W_enc));
    const bf = parse(randomGemmaScope2Files({ ...spec, dtype: 'BF16' })).weights.get('W_dec')!;
    const bits = new Uint32Array(bf.buffer, bf.byteOffset, bf.length);
    expect(bits.every((b) => (b & 0xffff) === 0)).toBe(true);
    expect(bf.every((v, i) => Math.abs(v - t.W_dec[i]) <= 2 ** -8 * Math.abs(t.W_dec[i]))).toBe(true);
  });

  it('maps the HF module path, the folder name or an override to the TransformerLens hook', () => {
    expect(parse(withConfig({ hf_hook_point_in: 'model.language_model.layers.5.output', hf_hook_point_out: undefined })).cfg.hookName).toBe('blocks.5.hook_resid_post');
    const bare = withConfig({ hf_hook_point_in: undefined, hf_hook_point_out: undefined });
    const url = 'https://huggingface.co/google/gemma-scope-2-270m-pt/resolve/main/resid_post_all/layer_12_width_16k_l0_small/';
    expect(parse(bare, url).cfg.hookName).toBe('blocks.12.hook_resid_post');
    expect(parse(bare, '', 'blocks.2.hook_resid_post').cfg.hookName).toBe('blocks.2.hook_resid_post');
    expect(() => parse(bare)).toThrow(/config\.json \(field "hf_hook_point_in"\): is missing/);
  });

  it('refuses transcoders, crosscoders and other sites, saying what is supported', () => {
    const refuse = (config: Record<string, unknown>) => () => parse(withConfig(config));
    expect(refuse({ type: 'transcoder' })).toThrow(ModelConfigError);
    expect(refuse({ type: 'transcoder' })).toThrow(/field "type"\): says this is a transcoder, not an SAE\. .*resid_post/);
    expect(refuse({ type: 'clt' })).toThrow(/cross-layer transcoder/);
    expect(refuse({ type: 'crosscoder' })).toThrow(/a crosscoder/);
    expect(refuse({ affine_connection: true })).toThrow(/field "affine_connection"/);
    expect(refuse({ architecture: 'batch_topk' })).toThrow(/field "architecture"/);
    expect(refuse({ width: 0 })).toThrow(/field "width"/);
    expect(refuse({ hf_hook_point_out: 'model.layers.3.post_feedforward_layernorm.output' })).toThrow(/field "hf_hook_point_out".*transcoder/);
    const site = (p: string) => refuse({ hf_hook_point_in: p, hf_hook_point_out: p });
    expect(site('model.layers.11.self_attn.o_proj.input')).toThrow(SaeCompatibilityError);
    expect(site('model.layers.11.self_attn.o_proj.input')).toThrow(/attention output of layer 11.*resid_post/);
    expect(site('model.layers.17.post_feedforward_layernorm.output')).toThrow(/MLP output of layer 17/);
    expect(site('lm_head')).toThrow(SaeCompatibilityError);
    expect(() => parse({ ...randomGemmaScope2Files(spec), 'config.json': new TextEncoder().encode('{').buffer as ArrayBuffer })).toThrow(/config\.json: is not valid JSON/);
  });

  it('names params.safetensors and the tensor when one is missing, misshapen or not a float', () => {
    const t = randomSaeTensors({ ...spec, arch: 'jumprelu' });
    expect(() => parse(withParams({ threshold: undefined }))).toThrow(/params\.safetensors \(tensor "threshold"\): is missing/);
    expect(() => parse(withParams({ w_enc: undefined }))).toThrow(/\(tensor "w_enc"\): is missing.*found: w_dec, b_enc/);
    expect(() => parse(withParams({ b_dec: { shape: [4], data: t.b_dec.slice(0, 4) } }))).toThrow(/\(tensor "b_dec"\): has shape \[4\] but w_enc \[8,16\] \(d_in 8, d_sae 16\) implies \[8\]/);
    expect(() => parse(withParams({ w_dec: { shape: [16, 4], data: t.W_dec.slice(0, 64) } }))).toThrow(/tensor "w_dec"/);
    expect(() => parse(withParams({ w_enc: { shape: [4, 32], data: t.W_enc } }))).toThrow(/tensor "w_enc"\): has shape \[4,32\] but config\.json says width 16/);
    expect(() => parse(withParams({ affine_skip_connection: { shape: [8, 8], data: new Float32Array(64) } }))).toThrow(/tensor "affine_skip_connection"\).*transcoder/);
    const ints = withParams({ threshold: { shape: [16], data: new Int32Array(16) } });
    expect(() => parse(ints)).toThrow(ModelFileError);
    expect(() => parse(ints)).toThrow(/tensor "threshold"\): dtype I32 is not a float type/);
  });
});

describe('readSae: the format from the files', () => {
  const reader = (files: Record<string, ArrayBuffer>) => async (file: string, optional: boolean) => {
    if (files[file]) return files[file];
    if (optional) return null;
    throw new ModelFileError(file, 'HTTP 404');
  };
  const gs2 = randomGemmaScope2Files({ dIn: 8, dSae: 16, hookName: 'blocks.1.hook_resid_post', seed: 5 });
  const lens = randomSaeLensFiles({ dIn: 8, dSae: 16, hookName: 'blocks.2.hook_resid_pre', arch: 'standard', seed: 6 });

  it('picks Gemma Scope 2, SAELens or npz for local files, and probes a URL folder', async () => {
    expect((await readSae(reader(gs2), Object.keys(gs2))).cfg.hookName).toBe('blocks.1.hook_resid_post');
    expect((await readSae(reader(lens), Object.keys(lens))).cfg.hookName).toBe('blocks.2.hook_resid_pre');
    expect((await readSae(reader(gs2), null, {}, 'https://hub/x/resid_post/layer_1_width_16k_l0_medium/')).cfg.dIn).toBe(8);
    expect((await readSae(reader(lens), null)).cfg.architecture).toBe('standard');
    const npz = { 'params.npz': randomGemmaScopeNpz({ dIn: 8, dSae: 16, hookName: '', arch: 'jumprelu', seed: 3 }) };
    expect((await readSae(reader(npz), ['params.npz'], { hookName: 'blocks.0.hook_resid_post' })).cfg.dSae).toBe(16);
    await expect(readSae(reader(npz), ['params.npz'])).rejects.toThrow(EngineStateError);
  });

  it('says which file is missing and what a folder holds', async () => {
    const onlyConfig = { 'config.json': gs2['config.json'] };
    await expect(readSae(reader(onlyConfig), ['config.json'])).rejects.toThrow(/params\.safetensors: was not among the files given: a Gemma Scope 2 folder holds config\.json and params\.safetensors/);
    const onlyCfg = { 'cfg.json': lens['cfg.json'] };
    await expect(readSae(reader(onlyCfg), ['cfg.json'])).rejects.toThrow(/sae_weights\.safetensors: was not among/);
    await expect(readSae(reader({}), ['README.md'])).rejects.toThrow(/cfg\.json: was not among the files given: An SAE folder holds/);
    await expect(readSae(reader({}), null, {}, 'https://hub/x/')).rejects.toThrow(/cfg\.json: could not be read from https:\/\/hub\/x\/, nor could config\.json/);
  });
});

describe('steering specs', () => {
  const sae = { dSae: 3, decoderNorms: Float32Array.from([0.5, 0, 2]) };
  const scope = (positions: 'all' | 'prompt' | 'generated', skipBos: boolean, startsWithBos = true) => ({ positions, skipBos, promptLength: 7, startsWithBos });

  it('converts multiples of max activation per mode, and refuses unknown features, max activations or zero directions', () => {
    const max = Float32Array.from([2, 0, 4]);
    const one = (mode: 'clamp' | 'add' | 'orthogonal' | 'cap', value: number, unit: 'absolute' | 'max_act', feature = 2) =>
      steeringEntries([{ feature, mode, value, unit }], sae, max)[0];
    expect(one('clamp', 10, 'max_act')).toEqual({ feature: 2, mode: 'clamp', value: 40, from: 0, to: NO_END });
    expect(one('add', -5, 'absolute', 1)).toMatchObject({ mode: 'add', value: -5 });
    expect(one('add', 0.5, 'max_act')).toMatchObject({ value: 2 });
    // orthogonal: a factor on P x in either unit; cap: the projection on v/|v| that value x max writes
    expect(one('orthogonal', 3, 'max_act')).toMatchObject({ value: 3 });
    expect(one('cap', 1.5, 'max_act')).toMatchObject({ value: 1.5 * 4 * 2 });
    expect(one('cap', 1.5, 'absolute')).toMatchObject({ value: 1.5 });
    expect(steeringEntries([{ feature: 1, mode: 'add', value: 2, unit: 'max_act', maxAct: 3 }], sae, max)[0].value).toBe(6);
    expect(() => one('add', 1, 'max_act', 1)).toThrow(/max activation of feature 1 is unknown/);
    expect(() => one('cap', 1, 'absolute', 1)).toThrow(/feature 1's decoder row is zero: cap steering needs a direction/i);
    expect(() => one('orthogonal', 1, 'absolute', 1)).toThrow(/orthogonal steering needs a direction/);
    expect(() => steeringEntries([{ feature: 3, mode: 'add', value: 1, unit: 'absolute' }], sae, max)).toThrow(/features 0\.\.2/);
    expect(() => steeringEntries([{ feature: 0, mode: 'add', value: NaN, unit: 'absolute' }], sae, max)).toThrow(/finite/);
  });

  it('positions: every one, the prompt only or generated tokens only, with or without a leading BOS', () => {
    const range = (s: ReturnType<typeof scope>) => {
      const [e] = steeringEntries([{ feature: 0, mode: 'add', value: 1, unit: 'absolute' }], sae, null, s);
      return [e.from, e.to];
    };
    expect(range(scope('all', false))).toEqual([0, NO_END]);
    expect(range(scope('all', true))).toEqual([1, NO_END]);
    expect(range(scope('all', true, false))).toEqual([0, NO_END]); // no BOS to skip
    expect(range(scope('prompt', false))).toEqual([0, 7]);
    expect(range(scope('prompt', true))).toEqual([1, 7]);
    expect(range(scope('generated', true))).toEqual([7, NO_END]);
  });
});
