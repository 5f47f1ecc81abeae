// SAE configs and weights: SAELens folders (cfg.json in the v6 layout, with a nested
// "metadata", or the older flat layout with hook_point / activation_fn_str) plus
// sae_weights.safetensors, and Gemma Scope's params.npz. Everything lands in one SaeConfig.
import { ModelConfigError, ModelFileError, SaeCompatibilityError } from '../errors';
import type { SaeArchitecture } from '../kernels/sae_encode';
import type { NormalizeActivations } from '../kernels/sae_norm';
import { toFloat32, type Safetensors } from '../model/safetensors';
import { parseConfigObject } from '../model/json';
import { showJson } from '../model/show_json';

export interface SaeConfig {
  architecture: SaeArchitecture;
  dIn: number;
  dSae: number;
  /** TopK SAEs: features kept per token. */
  k: number | null;
  applyBDecToInput: boolean;
  normalizeActivations: NormalizeActivations;
  /** expected_average_only_in: the norm_scaling_factor, when known (SAELens keeps it outside cfg.json). */
  normScalingFactor: number | null;
  hookName: string;
  modelName: string | null;
  /** Trained on TransformerLens activations with center_writing_weights: centre the residual per token. */
  centerWritingWeights: boolean;
}

export type SaeWeights = Map<string, Float32Array>;

export interface SaeOverrides {
  hookName?: string;
  centerWritingWeights?: boolean;
  normScalingFactor?: number;
}

const ARCHS: SaeArchitecture[] = ['standard', 'jumprelu', 'topk', 'gated'];
const NORMS: NormalizeActivations[] = ['none', 'constant_norm_rescale', 'layer_norm', 'expected_average_only_in'];

export function parseSaeLensConfig(text: string, file = 'cfg.json', overrides: SaeOverrides = {}): SaeConfig {
  const raw = parseConfigObject(text, file, 'Re-download the SAE.');
  // v6 nests model-side fields under "metadata"; earlier versions keep them at the top level.
  const nested = raw.metadata ?? raw.meta ?? {};
  if (typeof nested !== 'object' || nested === null || Array.isArray(nested)) {
    throw new ModelConfigError(file, `must be an object, got ${showJson(nested)}`, raw.metadata != null ? 'metadata' : 'meta');
  }
  const meta = { ...raw, ...(nested as Record<string, unknown>) };
  const int = (field: string, v: unknown) => {
    if (!Number.isSafeInteger(v) || (v as number) <= 0) throw new ModelConfigError(file, `must be a positive integer, got ${showJson(v)}`, field);
    return v as number;
  };
  const dIn = int('d_in', raw.d_in);
  const dSae = int('d_sae', raw.d_sae);

  const fnStr = (raw.activation_fn_str ?? raw.activation_fn) as string | undefined;
  let architecture = (raw.architecture as string | undefined) ?? 'standard';
  let k: number | null = null;
  if (fnStr === 'topk' || architecture === 'topk') {
    architecture = 'topk';
    const kwargs = (raw.activation_fn_kwargs ?? {}) as Record<string, unknown>;
    k = int('k', raw.k ?? kwargs.k ?? 100);
  } else if (fnStr && fnStr !== 'relu') {
    throw new SaeCompatibilityError(`${file}: activation_fn ${showJson(fnStr)} is not supported (relu and topk are).`);
  }
  if (!ARCHS.includes(architecture as SaeArchitecture)) {
    throw new ModelConfigError(file, `${showJson(architecture)} is not supported; use one of ${ARCHS.join(', ')}`, 'architecture');
  }
  if (raw.rescale_acts_by_decoder_norm === true) {
    throw new SaeCompatibilityError(`${file}: rescale_acts_by_decoder_norm is not supported yet.`);
  }

  // Pre-v6 configs store normalize_activations as a boolean (true = expected_average_only_in).
  let norm = raw.normalize_activations ?? 'none';
  if (norm === true) norm = 'expected_average_only_in';
  if (norm === false || norm === null) norm = 'none';
  if (!NORMS.includes(norm as NormalizeActivations)) {
    throw new ModelConfigError(file, `${showJson(norm)} is not supported; use one of ${NORMS.join(', ')}`, 'normalize_activations');
  }

  const hookName = overrides.hookName ?? ((meta.hook_name ?? meta.hook_point) as string | undefined);
  if (typeof hookName !== 'string') throw new ModelConfigError(file, 'is missing; the SAE must say where it reads the model', 'hook_name');
  const kwargs = (meta.model_from_pretrained_kwargs ?? {}) as Record<string, unknown>;
  const scale = raw.norm_scaling_factor;
  if (scale != null && (typeof scale !== 'number' || !(scale > 0) || !Number.isFinite(scale))) {
    throw new ModelConfigError(file, `must be a positive number, got ${showJson(scale)}`, 'norm_scaling_factor');
  }
  return {
    architecture: architecture as SaeArchitecture,
    dIn,
    dSae,
    k,
    applyBDecToInput: raw.apply_b_dec_to_input === undefined ? true : Boolean(raw.apply_b_dec_to_input),
    normalizeActivations: norm as NormalizeActivations,
    normScalingFactor: overrides.normScalingFactor ?? (scale as number | null | undefined) ?? null,
    hookName,
    modelName: typeof meta.model_name === 'string' ? meta.model_name : null,
    centerWritingWeights: overrides.centerWritingWeights ?? kwargs.center_writing_weights === true,
  };
}

/** The tensors each architecture needs, with their shapes. */
export function saeTensorShapes(cfg: SaeConfig): Map<string, number[]> {
  const { dIn, dSae } = cfg;
  const m = new Map<string, number[]>([
    ['W_enc', [dIn, dSae]],
    ['W_dec', [dSae, dIn]],
    ['b_dec', [dIn]],
  ]);
  if (cfg.architecture === 'gated') m.set('b_gate', [dSae]).set('r_mag', [dSae]).set('b_mag', [dSae]);
  else m.set('b_enc', [dSae]);
  if (cfg.architecture === 'jumprelu') m.set('threshold', [dSae]);
  return m;
}

/** Checks names and shapes against the config; a log_threshold is turned into threshold. */
export function checkSaeWeights(found: Map<string, { shape: number[]; data: () => Float32Array }>, cfg: SaeConfig, file: string): SaeWeights {
  const out: SaeWeights = new Map();
  for (const [name, shape] of saeTensorShapes(cfg)) {
    let t = found.get(name);
    let transform = (a: Float32Array) => a;
    if (!t && name === 'threshold' && found.has('log_threshold')) {
      t = found.get('log_threshold');
      transform = (a) => a.map(Math.exp);
    }
    if (!t) throw new ModelFileError(file, `is missing; a ${cfg.architecture} SAE needs it`, name);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ModelFileError(file, `has shape [${t.shape}] but cfg.json (d_in ${cfg.dIn}, d_sae ${cfg.dSae}) implies [${shape}]`, name);
    }
    out.set(name, transform(t.data()));
  }
  return out;
}

export function saeLensWeights(st: Safetensors, cfg: SaeConfig): SaeWeights {
  const found = new Map([...st.tensors].map(([name, t]) => [name, { shape: t.shape, data: () => toFloat32(t, st.file) }]));
  return checkSaeWeights(found, cfg, st.file);
}
