// Models and SAEs Glassbox knows how to fetch from the Hub, with their sizes (the download checks
// the server's own size and sha256). GPT-2 small has the richest SAE suites; Gemma 3 (270M, 1B)
// has Gemma Scope 2 and Gemma 2 2B the first Gemma Scope. The Gemma repos are gated: they need an
// access token (src/store/hub.ts). Sizes not read off the Hub are computed from the tensor shapes
// of the published config.json (src/model/hub_configs.ts) and say so.
import type { WeightDtype } from '../gpu/f16';
import { parseGpt2Config } from '../model/config';
import { parseDecoderConfig } from '../model/decoder_config';
import { expectedDecoderShapes } from '../model/decoder_weights';
import { GEMMA2_2B, GEMMA3_1B, GEMMA3_270M } from '../model/hub_configs';
import { estimateGpuMemory, type MemoryEstimate } from '../model/memory';
import type { SaeOverrides } from '../sae/formats';

export interface CatalogFile {
  path: string;
  /** Approximate size in bytes, for the UI and the storage-quota check. */
  bytes: number;
}

export interface CatalogModel {
  id: string;
  title: string;
  repo: string;
  files: CatalogFile[];
  /** Names the model goes by in SAE configs (SAELens / TransformerLens). */
  names: string[];
  /** Its config.json as published (the fields the parsers read): the GPU memory estimate's input. */
  config: Record<string, unknown>;
  /** Gated on the Hub: needs the licence accepted and an access token. */
  gated?: boolean;
}

export interface CatalogSae {
  id: string;
  title: string;
  modelId: string;
  repo: string;
  /** Folder in the repo: cfg.json + sae_weights.safetensors (SAELens), config.json + params.safetensors (Gemma Scope 2) or params.npz (Gemma Scope). */
  folder: string;
  hookName: string;
  dSae: number;
  files: CatalogFile[];
  overrides?: SaeOverrides;
}

export const MODELS: CatalogModel[] = [
  {
    id: 'gpt2',
    title: 'GPT-2 small (124M)',
    repo: 'openai-community/gpt2',
    names: ['gpt2', 'gpt2-small', 'openai-community/gpt2'],
    files: [
      { path: 'config.json', bytes: 665 },
      { path: 'model.safetensors', bytes: 548_105_171 },
      { path: 'tokenizer.json', bytes: 1_355_256 },
      { path: 'tokenizer_config.json', bytes: 26 },
    ],
    config: { model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12 },
  },
  ...gemma3('gemma-3-270m', 'Gemma 3 270M', 'google/gemma-3-270m', GEMMA3_270M, ['gemma-3-270m', 'google/gemma-3-270m', 'google/gemma-3-270m-pt']),
  ...gemma3('gemma-3-270m-it', 'Gemma 3 270M instruct', 'google/gemma-3-270m-it', GEMMA3_270M, ['gemma-3-270m-it', 'google/gemma-3-270m-it']),
  ...gemma3('gemma-3-1b-pt', 'Gemma 3 1B', 'google/gemma-3-1b-pt', GEMMA3_1B, ['gemma-3-1b', 'gemma-3-1b-pt', 'google/gemma-3-1b-pt']),
  ...gemma3('gemma-3-1b-it', 'Gemma 3 1B instruct', 'google/gemma-3-1b-it', GEMMA3_1B, ['gemma-3-1b-it', 'google/gemma-3-1b-it']),
  {
    id: 'gemma-2-2b',
    title: 'Gemma 2 2B',
    repo: 'google/gemma-2-2b',
    names: ['gemma-2-2b', 'google/gemma-2-2b'],
    gated: true,
    // Published in float32, in three shards with an index. 2,614,341,888 parameters (computed from
    // the config's shapes; 5.23 GB in bf16 as others report) x 4 bytes = 10.46 GB in all; the split
    // between the shards is approximate (about 5 + 5 + 0.5 GB), the total is exact up to headers.
    files: [
      { path: 'config.json', bytes: 818 },
      { path: 'model.safetensors.index.json', bytes: 24_200 },
      { path: 'model-00001-of-00003.safetensors', bytes: 4_988_000_000 },
      { path: 'model-00002-of-00003.safetensors', bytes: 4_983_000_000 },
      { path: 'model-00003-of-00003.safetensors', bytes: 486_400_000 },
      { path: 'tokenizer.json', bytes: 17_525_357 },
      { path: 'tokenizer_config.json', bytes: 46_400 },
    ],
    config: GEMMA2_2B,
  },
];

/**
 * A Gemma 3 text checkpoint: one bf16 model.safetensors, its size computed from the config's
 * tensor shapes (270M: 268,098,176 parameters, 536.2 MB; 1B: 999,885,952, 2.00 GB) plus the
 * header; tokenizer.json (the 262k-entry Gemma 3 vocabulary) is about 33.4 MB.
 */
function gemma3(id: string, title: string, repo: string, config: Record<string, unknown>, names: string[]): CatalogModel[] {
  const shapes = expectedDecoderShapes(parseDecoderConfig(JSON.stringify(config))).values();
  const params = [...shapes].reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
  return [{
    id, title, repo, names, config, gated: true,
    files: [
      { path: 'config.json', bytes: 1_400 },
      { path: 'model.safetensors', bytes: params * 2 + 30_000 },
      { path: 'tokenizer.json', bytes: 33_384_568 },
      { path: 'tokenizer_config.json', bytes: 1_160_000 },
    ],
  }];
}

/** The GPU memory a catalog model (with one of its SAEs) will take, weights stored as `dtype` (src/model/memory.ts). */
export function catalogEstimate(m: CatalogModel, dtype: WeightDtype, sae?: CatalogSae): MemoryEstimate {
  const text = JSON.stringify(m.config);
  return estimateGpuMemory(m.config.model_type === 'gpt2' ? parseGpt2Config(text) : parseDecoderConfig(text), dtype, sae);
}

const saeFiles = (dSae: number): CatalogFile[] => [
  { path: 'cfg.json', bytes: 1_000 },
  { path: 'sae_weights.safetensors', bytes: (2 * 768 * dSae + dSae + 768) * 4 + 300 },
];

const layers = Array.from({ length: 12 }, (_, l) => l);

export const SAES: CatalogSae[] = [
  // Joseph Bloom's residual SAEs (SAELens release gpt2-small-res-jb). Trained on TransformerLens
  // activations with center_writing_weights=True, which the release sets outside cfg.json.
  ...layers.map((l) => ({
    id: `gpt2-small-res-jb/${l}`,
    title: `res-jb, layer ${l} (resid_pre, 24576 features)`,
    modelId: 'gpt2',
    repo: 'jbloom/GPT2-Small-SAEs-Reformatted',
    folder: `blocks.${l}.hook_resid_pre`,
    hookName: `blocks.${l}.hook_resid_pre`,
    dSae: 24576,
    files: saeFiles(24576),
    overrides: { centerWritingWeights: true },
  })),
  // OpenAI's TopK SAEs (v5, 32k latents, k=32), in their SAELens-format ports.
  ...layers.map((l) => ({
    id: `gpt2-small-resid-post-v5-32k/${l}`,
    title: `OpenAI TopK 32k, layer ${l} (resid_post, k=32)`,
    modelId: 'gpt2',
    repo: 'jbloom/GPT2-Small-OAI-v5-32k-resid-post-SAEs',
    folder: `v5_32k_layer_${l}.pt`,
    hookName: `blocks.${l}.hook_resid_post`,
    dSae: 32768,
    files: saeFiles(32768),
  })),
];

/**
 * Gemma Scope 2 residual SAEs (google/gemma-scope-2-<size>-<pt|it>, resid_post/layer_L_width_16k_l0_medium/):
 * the layers published at about 25, 50, 65 and 85% depth. params.safetensors is f32: w_enc, w_dec
 * (d_in x 16384 each), b_enc, threshold (16384), b_dec (d_in): computed, 84.0 MB at d_in 640, 151.1 MB at 1152.
 */
const gemmaScope2 = (modelId: string, size: '270m' | '1b', variant: 'pt' | 'it', dIn: number, layerList: number[]): CatalogSae[] =>
  layerList.map((l) => ({
    id: `gemma-scope-2-${size}-${variant}/${l}`,
    title: `Gemma Scope 2, layer ${l} (resid_post, 16k, L0 medium)`,
    modelId,
    repo: `google/gemma-scope-2-${size}-${variant}`,
    folder: `resid_post/layer_${l}_width_16k_l0_medium`,
    hookName: `blocks.${l}.hook_resid_post`,
    dSae: 16384,
    files: [
      { path: 'config.json', bytes: 400 },
      { path: 'params.safetensors', bytes: (2 * dIn * 16384 + 2 * 16384 + dIn) * 4 + 400 },
    ],
  }));

/**
 * The first Gemma Scope on Gemma 2 2B (google/gemma-scope-2b-pt-res): SAELens' release
 * gemma-scope-2b-pt-res-canonical names layer_L/width_16k/canonical the SAE whose average L0 is
 * closest to 100, and points it at these folders (each holds params.npz, f32, 2304 x 16384:
 * computed, 302.1 MB). Neuronpedia's gemma-2-2b/L-gemmascope-res-16k are the same SAEs.
 */
const CANONICAL_16K_L0 = [105, 102, 141, 59, 124, 68, 70, 69, 71, 73, 77, 80, 82, 84, 84, 78, 78, 77, 74, 73, 71, 70, 72, 75, 73, 116];

SAES.push(
  ...gemmaScope2('gemma-3-270m', '270m', 'pt', 640, [5, 9, 12, 15]),
  ...gemmaScope2('gemma-3-270m-it', '270m', 'it', 640, [5, 9, 12, 15]),
  ...gemmaScope2('gemma-3-1b-pt', '1b', 'pt', 1152, [7, 13, 17, 22]),
  ...gemmaScope2('gemma-3-1b-it', '1b', 'it', 1152, [7, 13, 17, 22]),
  ...CANONICAL_16K_L0.map((l0, l) => ({
    id: `gemma-scope-2b-pt-res-canonical/${l}`,
    title: `Gemma Scope, layer ${l} (resid_post, 16k canonical, L0 ${l0})`,
    modelId: 'gemma-2-2b',
    repo: 'google/gemma-scope-2b-pt-res',
    folder: `layer_${l}/width_16k/average_l0_${l0}`,
    hookName: `blocks.${l}.hook_resid_post`,
    dSae: 16384,
    files: [{ path: 'params.npz', bytes: (2 * 2304 * 16384 + 2 * 16384 + 2304) * 4 + 1_200 }],
    overrides: { hookName: `blocks.${l}.hook_resid_post` },
  })),
);

/** The SAE's files by name: the format a folder holds, so the loader need not probe. */
export const saeListing = (s: CatalogSae) => s.files.map((f) => f.path);

export const totalBytes = (files: CatalogFile[]) => files.reduce((a, f) => a + f.bytes, 0);
