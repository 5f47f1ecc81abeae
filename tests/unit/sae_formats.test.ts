import { describe, expect, it } from 'vitest';
import { parseSaeLensConfig, saeLensWeights } from '../../src/sae/formats';
import { parseGemmaScopeNpz, parseNpy } from '../../src/sae/npz';
import { steeringEntries } from '../../src/sae/steering';
import { parseSafetensors } from '../../src/model/safetensors';
import { ModelConfigError, ModelFileError, SaeCompatibilityError } from '../../src/errors';
import { npy, randomGemmaScopeNpz, randomSaeLensFiles } from '../helpers/random_sae';

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

describe('steering specs', () => {
  it('converts multiples of max activation, and refuses unknown features or max activations', () => {
    const max = Float32Array.from([2, 0, 4]);
    expect(steeringEntries([{ feature: 2, mode: 'clamp', value: 10, unit: 'max_act', from: 3 }], 3, max)).toEqual([{ feature: 2, mode: 'clamp', value: 40, from: 3 }]);
    expect(steeringEntries([{ feature: 1, mode: 'add', value: -5, unit: 'absolute' }], 3, null)).toEqual([{ feature: 1, mode: 'add', value: -5, from: 0 }]);
    expect(() => steeringEntries([{ feature: 1, mode: 'add', value: 1, unit: 'max_act' }], 3, max)).toThrow(/max activation of feature 1 is unknown/);
    expect(() => steeringEntries([{ feature: 3, mode: 'add', value: 1, unit: 'absolute' }], 3, max)).toThrow(/features 0\.\.2/);
  });
});
