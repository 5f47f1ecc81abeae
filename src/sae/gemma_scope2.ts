// Gemma Scope 2 (google/gemma-scope-2-<size>-<pt|it>, SAEs for every Gemma 3): one folder per SAE,
// named <site>/layer_<L>_width_<16k|65k|262k|1m>_l0_<small|medium|big>/ (site resid_post, or
// resid_post_all with every layer), holding
//   config.json         {hf_hook_point_in: "model.layers.L.output", hf_hook_point_out (the same for
//                        an SAE), width: d_sae, model_name: "google/gemma-3-1b-pt",
//                        architecture: "jump_relu", l0, affine_connection: false, type: "sae"}
//   params.safetensors  w_enc (d_in, d_sae), w_dec (d_sae, d_in), b_enc (d_sae), b_dec (d_in),
//                        threshold (d_sae); f32 on the Hub (f16 / bf16 read too)
// d_in is in no field: it is w_enc's first dimension. The encoder is JumpReLU on the raw residual
// (no b_dec subtraction, no normalization), as the first Gemma Scope. "model.layers.L.output" is
// the output of decoder layer L, i.e. TransformerLens' blocks.L.hook_resid_post. The same repos
// hold attn_out / mlp_out SAEs, transcoders (with an affine skip), cross-layer transcoders and
// crosscoders: refused here, as Glassbox runs SAEs that read and rebuild the residual stream.
import { ModelConfigError, ModelFileError, SaeCompatibilityError } from '../errors';
import { parseSafetensors, toFloat32, type TensorInfo } from '../model/safetensors';
import { saeTensorShapes, type SaeConfig, type SaeOverrides, type SaeWeights } from './formats';
import { parseConfigObject } from '../model/json';
import { showJson } from '../model/show_json';

export const GS2_CONFIG = 'config.json';
export const GS2_PARAMS = 'params.safetensors';

const SUPPORTED = 'Glassbox runs Gemma Scope 2 SAEs on the residual stream: the resid_post and resid_post_all folders (type "sae", hf_hook_point_in "model.layers.L.output").';

/** Where an HF module path reads, for the messages: the residual after layer L, or another site. */
function hfSite(point: string): { layer: number; site: 'resid_post' | 'attn_out' | 'mlp_out' | 'mlp_in' | null } | null {
  // "model.layers.L..." (Gemma 3 1B / 270M) or "model.language_model.layers.L..." (the multimodal sizes)
  const m = /^(?:[A-Za-z_]+\.)*layers\.(\d+)\.(.+)$/.exec(point);
  if (!m || !Number.isSafeInteger(Number(m[1]))) return null;
  const rest = m[2];
  const site =
    rest === 'output' ? 'resid_post'
    : rest === 'self_attn.o_proj.input' ? 'attn_out'
    : rest === 'post_feedforward_layernorm.output' ? 'mlp_out'
    : rest === 'pre_feedforward_layernorm.output' ? 'mlp_in'
    : null;
  return { layer: Number(m[1]), site };
}

const SITE_WORDS = { attn_out: 'the attention output', mlp_out: 'the MLP output', mlp_in: "the MLP's normalized input" } as const;

/** The TransformerLens hook of a config.json, or of the folder name when the config has none. */
function hookOf(raw: Record<string, unknown>, file: string, folder: string): string {
  const point = raw.hf_hook_point_in;
  if (point === undefined || point === null) {
    const m = /(?:^|\/)resid_post(?:_all)?\/layer_(\d+)_/.exec(folder);
    if (m && Number.isSafeInteger(Number(m[1]))) return `blocks.${Number(m[1])}.hook_resid_post`;
    throw new ModelConfigError(file, 'is missing, and the folder name (resid_post/layer_L_...) does not give the layer either; pass overrides.hookName', 'hf_hook_point_in');
  }
  if (typeof point !== 'string') throw new ModelConfigError(file, `must be a module path like "model.layers.12.output", got ${showJson(point)}`, 'hf_hook_point_in');
  const out = raw.hf_hook_point_out;
  if (out !== undefined && out !== null && out !== point) {
    throw new ModelConfigError(file, `is ${showJson(out)} but the SAE reads "${point}": this maps one site to another (a transcoder). ${SUPPORTED}`, 'hf_hook_point_out');
  }
  const s = hfSite(point);
  if (s?.site === 'resid_post') return `blocks.${s.layer}.hook_resid_post`;
  const what = s?.site ? `${SITE_WORDS[s.site]} of layer ${s.layer}` : 'a module Glassbox does not know';
  throw new SaeCompatibilityError(`${file}: this SAE reads "${point}" (${what}). ${SUPPORTED}`);
}

/** Parses config.json into an SaeConfig whose d_in is still unknown (0): it comes from w_enc. */
export function parseGemmaScope2Config(text: string, file = GS2_CONFIG, overrides: SaeOverrides = {}, folder = ''): SaeConfig {
  const raw = parseConfigObject(text, file, 'Re-download the SAE.');
  const type = raw.type ?? 'sae';
  if (type !== 'sae') {
    const kinds: Record<string, string> = { transcoder: 'a transcoder', clt: 'a cross-layer transcoder', crosscoder: 'a crosscoder' };
    const what = typeof type === 'string' && Object.hasOwn(kinds, type) ? kinds[type] : `of type ${showJson(type)}`;
    throw new ModelConfigError(file, `says this is ${what}, not an SAE. ${SUPPORTED}`, 'type');
  }
  if (raw.affine_connection === true) {
    throw new ModelConfigError(file, `is true: an affine skip connection belongs to a transcoder. ${SUPPORTED}`, 'affine_connection');
  }
  const arch = raw.architecture ?? 'jump_relu';
  if (arch !== 'jump_relu' && arch !== 'jumprelu') {
    throw new ModelConfigError(file, `${showJson(arch)} is not supported; Gemma Scope 2 SAEs are "jump_relu"`, 'architecture');
  }
  let dSae = 0;
  if (raw.width !== undefined) {
    if (!Number.isSafeInteger(raw.width) || (raw.width as number) <= 0) throw new ModelConfigError(file, `must be a positive integer, got ${showJson(raw.width)}`, 'width');
    dSae = raw.width as number;
  }
  return {
    architecture: 'jumprelu',
    dIn: 0,
    dSae,
    k: null,
    applyBDecToInput: false,
    normalizeActivations: 'none',
    normScalingFactor: null,
    hookName: overrides.hookName ?? hookOf(raw, file, folder),
    modelName: typeof raw.model_name === 'string' ? raw.model_name : null,
    centerWritingWeights: overrides.centerWritingWeights ?? false,
  };
}

/** Names in params.safetensors: w_enc / w_dec are lower-case there. */
const FILE_NAME: Record<string, string> = { W_enc: 'w_enc', W_dec: 'w_dec' };

/** Reads params.safetensors against the config: d_in from w_enc, then every shape checked. */
export function gemmaScope2Weights(buffer: ArrayBuffer, config: SaeConfig, file = GS2_PARAMS): { cfg: SaeConfig; weights: SaeWeights } {
  const st = parseSafetensors(buffer, file);
  const get = (name: string): TensorInfo | undefined => st.tensors.get(FILE_NAME[name] ?? name) ?? st.tensors.get(name);
  if (st.tensors.has('affine_skip_connection')) {
    throw new ModelFileError(file, `holds an affine skip connection: this is a transcoder. ${SUPPORTED}`, 'affine_skip_connection');
  }
  const enc = get('W_enc');
  if (!enc) throw new ModelFileError(file, `is missing; a Gemma Scope 2 SAE holds w_enc, w_dec, b_enc, b_dec and threshold (found: ${[...st.tensors.keys()].join(', ') || 'none'})`, 'w_enc');
  if (enc.shape.length !== 2) throw new ModelFileError(file, `has shape [${enc.shape}]; it must be 2-D, (d_in, d_sae)`, 'w_enc');
  const [dIn, dSae] = enc.shape;
  if (!(dIn > 0 && dSae > 0)) throw new ModelFileError(file, `has shape [${enc.shape}]: d_in and d_sae must be positive`, 'w_enc');
  if (config.dSae && config.dSae !== dSae) {
    throw new ModelFileError(file, `has shape [${enc.shape}] but config.json says width ${config.dSae}`, 'w_enc');
  }
  const cfg: SaeConfig = { ...config, dIn, dSae };
  const weights: SaeWeights = new Map();
  for (const [name, shape] of saeTensorShapes(cfg)) {
    const fileName = FILE_NAME[name] ?? name;
    const t = get(name);
    if (!t) throw new ModelFileError(file, 'is missing; a Gemma Scope 2 SAE holds w_enc, w_dec, b_enc, b_dec and threshold', fileName);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ModelFileError(file, `has shape [${t.shape}] but w_enc [${enc.shape}] (d_in ${dIn}, d_sae ${dSae}) implies [${shape}]`, fileName);
    }
    weights.set(name, toFloat32(t, file));
  }
  return { cfg, weights };
}

/** A Gemma Scope 2 folder: config.json text and params.safetensors bytes. */
export function parseGemmaScope2(configText: string, params: ArrayBuffer, overrides: SaeOverrides = {}, folder = ''): { cfg: SaeConfig; weights: SaeWeights } {
  return gemmaScope2Weights(params, parseGemmaScope2Config(configText, GS2_CONFIG, overrides, folder));
}
