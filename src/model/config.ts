// Hugging Face config.json for the GPT-2 family, validated into the names the forward uses.
import { ModelConfigError } from '../errors';
import { parseConfigObject } from './json';
import { showJson } from './show_json';

/**
 * The most layers a config may give. The loaders walk every layer's tensor names before they read
 * a weight, so a corrupt num_hidden_layers (4294967295) would hang them; the deepest Hub models
 * have ~130 layers.
 */
export const MAX_LAYERS = 1024;

export interface Gpt2Config {
  modelType: 'gpt2';
  /** V */ vocabSize: number;
  /** n_ctx: longest sequence the position embedding covers */ nCtx: number;
  /** C */ dModel: number;
  nLayers: number;
  /** NH */ nHeads: number;
  /** HS = C / NH */ dHead: number;
  /** 4C unless n_inner says otherwise */ dMlp: number;
  layerNormEps: number;
  bosTokenId: number | null;
  eosTokenId: number | null;
}

const TANH_GELU = new Set(['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast']);

export function parseGpt2Config(text: string, file = 'config.json'): Gpt2Config {
  const raw = parseConfigObject(text, file);
  const int = (field: string, fallback?: number): number => {
    const v = raw[field] ?? fallback;
    if (!Number.isSafeInteger(v) || (v as number) <= 0) {
      throw new ModelConfigError(file, `must be a positive integer, got ${showJson(raw[field])}`, field);
    }
    return v as number;
  };
  const optId = (field: string): number | null => (Number.isSafeInteger(raw[field]) && (raw[field] as number) >= 0 ? (raw[field] as number) : null);

  const modelType = raw.model_type;
  if (modelType !== 'gpt2') {
    throw new ModelConfigError(file, `is ${showJson(modelType)}; Glassbox runs the GPT-2 family (model_type "gpt2")`, 'model_type');
  }
  const act = raw.activation_function ?? 'gelu_new';
  if (typeof act !== 'string' || !TANH_GELU.has(act)) {
    throw new ModelConfigError(file, `${showJson(act)} is not supported; GPT-2 uses the tanh GELU ("gelu_new")`, 'activation_function');
  }
  const dModel = int('n_embd');
  const nHeads = int('n_head');
  // The decode kernels read weights as vec4 along d_model; every GPT-2 size satisfies this.
  if (dModel % 4) throw new ModelConfigError(file, `n_embd ${dModel} must be a multiple of 4`, 'n_embd');
  if (dModel % nHeads) throw new ModelConfigError(file, `n_embd ${dModel} is not divisible by n_head ${nHeads}`, 'n_head');
  const eps = raw.layer_norm_epsilon ?? 1e-5;
  if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) throw new ModelConfigError(file, `must be a positive number`, 'layer_norm_epsilon');
  if (raw.tie_word_embeddings === false) {
    throw new ModelConfigError(file, 'untied LM heads are not supported; GPT-2 ties lm_head to wte', 'tie_word_embeddings');
  }
  const dMlp = raw.n_inner == null ? 4 * dModel : int('n_inner');
  if (dMlp % 4) throw new ModelConfigError(file, `n_inner ${dMlp} must be a multiple of 4`, 'n_inner');
  const nLayers = int('n_layer');
  if (nLayers > MAX_LAYERS) throw new ModelConfigError(file, `${nLayers} layers is more than Glassbox loads (${MAX_LAYERS}); is config.json corrupt?`, 'n_layer');
  return {
    modelType: 'gpt2',
    vocabSize: int('vocab_size'),
    nCtx: int('n_positions', raw.n_ctx as number | undefined),
    dModel,
    nLayers,
    nHeads,
    dHead: dModel / nHeads,
    dMlp,
    layerNormEps: eps,
    bosTokenId: optId('bos_token_id'),
    eosTokenId: optId('eos_token_id'),
  };
}

/** Every tensor the forward reads, with the shape config.json implies (HF names, Conv1D [in, out]). */
export function expectedShapes(cfg: Gpt2Config): Map<string, number[]> {
  const { vocabSize: V, nCtx, dModel: C, dMlp } = cfg;
  const m = new Map<string, number[]>([
    ['wte.weight', [V, C]],
    ['wpe.weight', [nCtx, C]],
    ['ln_f.weight', [C]],
    ['ln_f.bias', [C]],
  ]);
  for (let l = 0; l < cfg.nLayers; l++) {
    const h = `h.${l}.`;
    m.set(`${h}ln_1.weight`, [C]).set(`${h}ln_1.bias`, [C]);
    m.set(`${h}attn.c_attn.weight`, [C, 3 * C]).set(`${h}attn.c_attn.bias`, [3 * C]);
    m.set(`${h}attn.c_proj.weight`, [C, C]).set(`${h}attn.c_proj.bias`, [C]);
    m.set(`${h}ln_2.weight`, [C]).set(`${h}ln_2.bias`, [C]);
    m.set(`${h}mlp.c_fc.weight`, [C, dMlp]).set(`${h}mlp.c_fc.bias`, [dMlp]);
    m.set(`${h}mlp.c_proj.weight`, [dMlp, C]).set(`${h}mlp.c_proj.bias`, [C]);
  }
  return m;
}
