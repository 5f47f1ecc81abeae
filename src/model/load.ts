// Model files to a forward on the GPU. config.json's model_type picks the family: gpt2 runs
// gpt2.ts; gemma3_text, gemma3, gemma2, llama and qwen3 run the modern decoder (decoder.ts).
// Weights come from model.safetensors, or from the shards a model.safetensors.index.json lists.
import { ModelConfigError, ModelFileError } from '../errors';
import type { WeightDtype } from '../gpu/f16';
import type { Gpu } from '../gpu/gpu';
import { expectedShapes, parseGpt2Config, type Gpt2Config } from './config';
import { Decoder } from './decoder';
import { parseDecoderConfig, type DecoderConfig } from './decoder_config';
import { decoderTensors } from './decoder_prep';
import { checkDecoderShapes, decoderTensorNames } from './decoder_weights';
import { Gpt2 } from './gpt2';
import { openSafetensors, type SafetensorsFile, type TensorMeta } from './safetensors';
import { showJson } from './show_json';
import type { Transformer } from './transformer';
import type { TensorRows } from './tensor_rows';
import { checkedRows, uploadAll } from './upload';
import { gpt2TensorNames, storedDtype } from './weights';

export type ModelConfig = Gpt2Config | DecoderConfig;

/** Opens one of the model's files (read in slices, never whole); null when an optional one is absent. */
export type ReadFile = (file: string, optional: boolean) => Promise<Blob | null>;

export interface ModelWeights {
  nParams: number;
  /** Streams the weights to the GPU and builds the forward (inside GPU error scopes); frees what it uploaded if it fails. */
  build(gpu: Gpu, dtype: WeightDtype): Promise<Transformer>;
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

/** Reads the checkpoint's headers and checks every tensor's shape; the data is read by build(). */
export async function readModelWeights(config: ModelConfig, read: ReadFile): Promise<ModelWeights> {
  const shards = await openShards(read);
  const byName = new Map<string, { f: SafetensorsFile; t: TensorMeta }>();
  for (const f of shards) for (const t of f.tensors.values()) byName.set(t.name, { f, t });
  const rows = (hub: string): TensorRows => {
    const { f, t } = byName.get(hub)!;
    return checkedRows(f.file, hub, t.shape, (row0, n) => f.read(t, row0, n));
  };
  const store = (dtype: WeightDtype) => (shape: number[]) => storedDtype(shape, dtype);
  if (config.modelType === 'gpt2') {
    const all = { file: shards.length > 1 ? SHARD_INDEX : 'model.safetensors', tensors: new Map([...byName].map(([k, v]) => [k, v.t])), metadata: {} };
    const hub = gpt2TensorNames(all, config);
    const nParams = [...expectedShapes(config).values()].reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
    return {
      nParams,
      build: async (gpu, dtype) => {
        const w = await uploadAll(gpu, [...hub].map(([name, h]) => ({ name, rows: rows(h) })), store(dtype));
        return new Gpt2(gpu, config, w, dtype);
      },
    };
  }
  const names = decoderTensorNames(config, byName.keys(), shards.length > 1 ? SHARD_INDEX : 'model.safetensors');
  for (const f of shards) checkDecoderShapes(names, f.tensors, f.file);
  const nParams = [...names.values()].reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  return {
    nParams,
    build: async (gpu, dtype) => {
      const w = await uploadAll(gpu, decoderTensors(config, (name) => rows(names.get(name)!.hub)), store(dtype));
      return new Decoder(gpu, config, w.values(), dtype);
    },
  };
}

/** model.safetensors, or every shard model.safetensors.index.json names, with their headers read. */
async function openShards(read: ReadFile): Promise<SafetensorsFile[]> {
  const index = await read(SHARD_INDEX, true);
  const files = index ? parseShardIndex(await index.arrayBuffer()) : ['model.safetensors'];
  const out: SafetensorsFile[] = [];
  for (const f of files) out.push(await openSafetensors((await read(f, false))!, f));
  return out;
}

const SHARD_INDEX = 'model.safetensors.index.json';

/** The shard files model.safetensors.index.json's weight_map names, each once, in order. */
export function parseShardIndex(buf: ArrayBuffer): string[] {
  let map: unknown;
  try {
    map = (JSON.parse(new TextDecoder().decode(buf)) as { weight_map?: unknown } | null)?.weight_map;
  } catch (e) {
    throw new ModelFileError(SHARD_INDEX, `is not valid JSON (${(e as Error).message}). Check that the file downloaded completely.`);
  }
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new ModelFileError(SHARD_INDEX, 'has no weight_map object naming each tensor\'s shard.');
  const files = [...new Set(Object.values(map as Record<string, unknown>))];
  const bad = files.find((f) => typeof f !== 'string' || !/^[\w.-]+\.safetensors$/.test(f));
  if (bad !== undefined) throw new ModelFileError(SHARD_INDEX, `names a shard ${showJson(bad)} that is not a .safetensors file in the same folder.`);
  if (files.length === 0) throw new ModelFileError(SHARD_INDEX, 'weight_map is empty: it names no shard.');
  return files as string[];
}

const WIDTH_FIELDS: Record<string, string> = { n_embd: 'n_embd', n_head: 'n_embd', hidden_size: 'hidden_size', num_attention_heads: 'hidden_size', head_dim: 'hidden_size' };

/**
 * A config.json refused for its widths may be the wrong config rather than a wrong field: when the
 * checkpoint's embedding has another width than config.json says, that is the error to report.
 * Reads only the weights' header (call it for local files, where that costs no download).
 */
export async function blameConfig(err: unknown, text: string, read: ReadFile): Promise<unknown> {
  const widthField = err instanceof ModelConfigError && err.field ? WIDTH_FIELDS[err.field.split('.').pop()!] : undefined;
  if (!widthField) return err;
  try {
    const raw = JSON.parse(text) as Record<string, unknown>;
    const said = (raw.text_config as Record<string, unknown> | undefined)?.[widthField] ?? raw[widthField];
    const [shard] = await openShards(read);
    const embed = [...shard.tensors.values()].find((t) => /(^|\.)(wte|embed_tokens)\.weight$/.test(t.name));
    if (!embed || embed.shape.length !== 2 || embed.shape[1] === said) return err;
    return new ModelConfigError(
      'config.json',
      `${widthField} is ${JSON.stringify(said)} but ${shard.file}'s ${embed.name} is [${embed.shape}], ${embed.shape[1]} wide: config.json and the weights are from different models. Use the config.json that came with these weights.`,
      widthField,
    );
  } catch {
    return err;
  }
}
