import { describe, expect, it } from 'vitest';
import { parseGpt2Config } from '../../src/model/config';
import { gpt2Weights } from '../../src/model/weights';
import { parseSafetensors, writeSafetensors } from '../../src/model/safetensors';
import { ModelConfigError, ModelFileError } from '../../src/errors';
import { randomGpt2Files } from '../helpers/random_model';

const spec = { nLayers: 2, dModel: 12, nHeads: 3, vocab: 37, nCtx: 16, seed: 1 };

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('config.json', () => {
  it('parses a GPT-2 config', () => {
    const cfg = parseGpt2Config(randomGpt2Files(spec).config);
    expect(cfg).toMatchObject({ vocabSize: 37, nCtx: 16, dModel: 12, nLayers: 2, nHeads: 3, dHead: 4, dMlp: 48, layerNormEps: 1e-5 });
  });

  it('a config that is not JSON is a ModelConfigError naming the file', () => {
    const e = catchError(() => parseGpt2Config('{"n_embd": 7', 'config.json'));
    expect(e).toBeInstanceOf(ModelConfigError);
    expect(e.name).toBe('ModelConfigError');
    expect(e.message).toMatch(/^config\.json: is not valid JSON/);
  });

  it('names the field that is wrong', () => {
    const base = JSON.parse(randomGpt2Files(spec).config);
    const bad = (patch: object) => catchError(() => parseGpt2Config(JSON.stringify({ ...base, ...patch })));
    expect(bad({ model_type: 'llama' }).message).toMatch(/field "model_type"/);
    expect(bad({ n_head: 5 }).message).toMatch(/not divisible/);
    expect(bad({ n_embd: 'big' }).message).toMatch(/field "n_embd"/);
    expect(bad({ activation_function: 'relu' }).message).toMatch(/field "activation_function"/);
  });
});

describe('checkpoint against config', () => {
  const files = randomGpt2Files({ ...spec, prefix: true });
  const load = (bytes: Uint8Array, config = files.config) =>
    gpt2Weights(parseSafetensors(bytes.buffer.slice(0) as ArrayBuffer, 'model.safetensors'), parseGpt2Config(config));

  it('accepts transformer.-prefixed keys', () => {
    expect(load(files.safetensors).get('h.1.mlp.c_fc.weight')!.length).toBe(12 * 48);
  });

  it('a missing tensor names the file and the tensor', () => {
    const st = parseSafetensors(files.safetensors.buffer.slice(0) as ArrayBuffer, 'model.safetensors');
    const kept: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [name, t] of st.tensors) {
      if (name !== 'transformer.h.1.ln_2.bias') kept[name] = { shape: t.shape, data: new Float32Array(t.bytes.slice().buffer) };
    }
    const e = catchError(() => load(writeSafetensors(kept))) as ModelFileError;
    expect(e).toBeInstanceOf(ModelFileError);
    expect(e.tensor).toBe('h.1.ln_2.bias');
    expect(e.message).toMatch(/model\.safetensors \(tensor "h\.1\.ln_2\.bias"\): is missing/);
  });

  it('a shape that disagrees with config.json names the tensor and both shapes', () => {
    const cfg = JSON.parse(files.config);
    const e = catchError(() => load(files.safetensors, JSON.stringify({ ...cfg, vocab_size: 40 }))) as ModelFileError;
    expect(e).toBeInstanceOf(ModelFileError);
    expect(e.tensor).toBe('transformer.wte.weight');
    expect(e.message).toMatch(/shape \[37,12\] but config\.json implies \[40,12\]/);
  });
});
