// Model files to a forward on the GPU. config.json's model_type picks the family: gpt2 runs
// gpt2.ts; gemma3_text, gemma3, gemma2, llama and qwen3 run the modern decoder (decoder.ts).
// Weights come from model.safetensors, or from the shards a model.safetensors.index.json lists.
import { ModelConfigError, ModelFileError } from '../errors';
import type { WeightDtype } from '../gpu/f16';
import type { Gpu } from '../gpu/gpu';
import { parseGpt2Config, type Gpt2Config } from './config';
import { Decoder } from './decoder';
import { parseDecoderConfig, type DecoderConfig } from './decoder_config';
import { decoderTensors } from './decoder_prep';
import { checkDecoderShapes, decoderTensorNames } from './decoder_weights';
import { Gpt2 } from './gpt2';
import { parseSafetensors, toFloat32, type Safetensors } from './safetensors';
import type { Transformer } from './transformer';
import { gpt2Weights } from './weights';

export type ModelConfig = Gpt2Config | DecoderConfig;

/** Reads one of the model's files; null when an optional one is absent. */
export type ReadFile = (file: string, optional: boolean) => Promise<ArrayBuffer | null>;

export interface ModelWeights {
  nParams: number;
  /** Uploads the weights and builds the forward (call inside GPU error scopes). */
  build(gpu: Gpu, dtype: WeightDtype): Transformer;
}

export function parseModelConfig(text: string, file = 'config.json'): ModelConfig {
  let modelType: unknown;
  try {
    modelType = (JSON.parse(text) as { model_type?: unknown } | null)?.model_type;
  } catch {
    modelType = undefined; // parseGpt2Config reports the JSON error
  }
  if (modelType === 'gpt2' || modelType === undefined) return parseGpt2Config(text, file);
  const cfg = parseDecoderConfig(text, file);
  checkDecoderKernels(cfg, file);
  return cfg;
}

/** Widths the kernels need (vec4 reads, a head in one workgroup); every Hub model of these families has them. */
function checkDecoderKernels(cfg: DecoderConfig, file: string): void {
  const need = (ok: boolean, field: string, what: string) => {
    if (!ok) throw new ModelConfigError(file, `${what}; Glassbox's kernels need it`, field);
  };
  need(cfg.dModel % 4 === 0, 'hidden_size', `hidden_size ${cfg.dModel} is not a multiple of 4`);
  need(cfg.dMlp % 4 === 0, 'intermediate_size', `intermediate_size ${cfg.dMlp} is not a multiple of 4`);
  need(cfg.dHead % 4 === 0 && cfg.dHead <= 256, 'head_dim', `head_dim ${cfg.dHead} is not a multiple of 4 up to 256`);
}

export async function readModelWeights(config: ModelConfig, read: ReadFile): Promise<ModelWeights> {
  if (config.modelType === 'gpt2') {
    const weights = gpt2Weights(parseSafetensors((await read('model.safetensors', false))!, 'model.safetensors'), config);
    const nParams = [...weights.values()].reduce((n, w) => n + w.length, 0);
    return { nParams, build: (gpu, dtype) => new Gpt2(gpu, config, weights, dtype) };
  }
  const shards = await readShards(read);
  const byName = new Map<string, { st: Safetensors; file: string }>();
  for (const [file, st] of shards) for (const name of st.tensors.keys()) byName.set(name, { st, file });
  const names = decoderTensorNames(config, byName.keys(), shards.size > 1 ? 'model.safetensors.index.json' : 'model.safetensors');
  for (const [file, st] of shards) checkDecoderShapes(names, st.tensors, file);
  const get = (name: string) => {
    const { hub } = names.get(name)!;
    const { st, file } = byName.get(hub)!;
    return toFloat32(st.tensors.get(hub)!, file);
  };
  const nParams = [...names.values()].reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  return { nParams, build: (gpu, dtype) => new Decoder(gpu, config, decoderTensors(config, get), dtype) };
}

/** model.safetensors, or every shard model.safetensors.index.json names, parsed, by file name. */
async function readShards(read: ReadFile): Promise<Map<string, Safetensors>> {
  const INDEX = 'model.safetensors.index.json';
  const indexBuf = await read(INDEX, true);
  if (!indexBuf) return new Map([['model.safetensors', parseSafetensors((await read('model.safetensors', false))!, 'model.safetensors')]]);
  let map: unknown;
  try {
    map = (JSON.parse(new TextDecoder().decode(indexBuf)) as { weight_map?: unknown }).weight_map;
  } catch (e) {
    throw new ModelFileError(INDEX, `is not valid JSON (${(e as Error).message}). Check that the file downloaded completely.`);
  }
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new ModelFileError(INDEX, 'has no weight_map object naming each tensor\'s shard.');
  const files = [...new Set(Object.values(map as Record<string, unknown>))];
  const bad = files.find((f) => typeof f !== 'string' || !/^[\w.-]+\.safetensors$/.test(f));
  if (bad !== undefined) throw new ModelFileError(INDEX, `names a shard ${JSON.stringify(bad)} that is not a .safetensors file in the same folder.`);
  const out = new Map<string, Safetensors>();
  for (const f of files as string[]) out.set(f, parseSafetensors((await read(f, false))!, f));
  return out;
}
