// Models and SAEs Glassbox knows how to fetch from the Hub, with their sizes (as published; the
// download checks the server's own size and sha256). GPT-2 small has the richest SAE suites.
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
}

export interface CatalogSae {
  id: string;
  title: string;
  modelId: string;
  repo: string;
  /** Folder of cfg.json + sae_weights.safetensors in the repo. */
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
  },
];

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

export const totalBytes = (files: CatalogFile[]) => files.reduce((a, f) => a + f.bytes, 0);
