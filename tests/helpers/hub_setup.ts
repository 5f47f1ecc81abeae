// Global setup of the gpu project: a local Hub (tests/helpers/hub_server.ts) serving models and
// SAEs the tests generate: a tiny GPT-2, SAEs that fit it and one that does not, and a
// random-weight model with GPT-2 small's exact shapes (~500 MB) to prove full-size loading.
import type { TestProject } from 'vitest/node';
import { writeSafetensors } from '../../src/model/safetensors';
import { expectedShapes, parseGpt2Config } from '../../src/model/config';
import { HubServer } from './hub_server';
import { randomGpt2Files } from './random_model';
import { BYTE_TOKENIZER_CONFIG, BYTE_TOKENIZER_VOCAB, EOT_ID, byteTokenizerJson } from './byte_tokenizer';
import { randomSaeLensFiles } from './random_sae';

declare module 'vitest' {
  export interface ProvidedContext {
    hubUrl: string;
  }
}

export const GPT2_SMALL_CONFIG = {
  model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12,
  activation_function: 'gelu_new', layer_norm_epsilon: 1e-5, bos_token_id: 50256, eos_token_id: 50256,
};

/** GPT-2 small's tensors with cheap deterministic values (LayerNorm gains 1): 124M floats. */
function gpt2SmallRandom(): Uint8Array {
  const cfg = parseGpt2Config(JSON.stringify(GPT2_SMALL_CONFIG));
  let s = 2024;
  const t: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, shape] of expectedShapes(cfg)) {
    const a = new Float32Array(shape.reduce((x, y) => x * y, 1));
    if (/ln_\d\.weight|ln_f\.weight/.test(name)) a.fill(1);
    else for (let i = 0; i < a.length; i++) a[i] = ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5) * 0.04;
    t[name] = { shape, data: a };
  }
  return writeSafetensors(t);
}

export default async function setup(project: TestProject) {
  const hub = new HubServer();
  const tiny = randomGpt2Files({ nLayers: 2, dModel: 96, nHeads: 3, vocab: BYTE_TOKENIZER_VOCAB, nCtx: 48, seed: 31 });
  const tinyCfg = JSON.stringify({ ...JSON.parse(tiny.config), bos_token_id: EOT_ID, eos_token_id: EOT_ID });
  for (const repo of ['test/tiny-gpt2', 'test/tiny-gpt2-resume', 'test/tiny-gpt2-cancel', 'test/tiny-gpt2-lost']) {
    hub.add(repo, 'config.json', tinyCfg);
    hub.add(repo, 'model.safetensors', tiny.safetensors);
    hub.add(repo, 'tokenizer.json', byteTokenizerJson());
    hub.add(repo, 'tokenizer_config.json', BYTE_TOKENIZER_CONFIG);
  }
  const saes = {
    'test/tiny-saes': randomSaeLensFiles({ dIn: 96, dSae: 128, hookName: 'blocks.1.hook_resid_pre', arch: 'standard', seed: 5, modelName: 'tiny-gpt2' }),
    'test/gpt2-saes': randomSaeLensFiles({ dIn: 768, dSae: 128, hookName: 'blocks.1.hook_resid_pre', arch: 'standard', seed: 6, modelName: 'gpt2-small' }),
  };
  for (const [repo, files] of Object.entries(saes)) {
    for (const [name, buf] of Object.entries(files)) hub.add(repo, `blocks.1.hook_resid_pre/${name}`, new Uint8Array(buf));
  }
  hub.add('test/gpt2-small-random', 'config.json', JSON.stringify(GPT2_SMALL_CONFIG));
  hub.add('test/gpt2-small-random', 'model.safetensors', gpt2SmallRandom());
  hub.add('test/gpt2-small-random', 'tokenizer.json', byteTokenizerJson());
  project.provide('hubUrl', await hub.start());
  return () => hub.stop();
}
