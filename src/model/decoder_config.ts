// Hugging Face config.json for the modern decoder families (Gemma 3, Gemma 2, Llama 3, Qwen 3),
// normalised into the one shape src/model/decoder.ts reads. Defaults and derivations follow
// transformers' own config classes, in both spellings: 4.x (`rope_theta`, `rope_scaling`,
// Gemma 3's `rope_local_base_freq` and `sliding_window_pattern`) and 5.x (`rope_parameters`,
// keyed by layer type for Gemma 3, and `layer_types`). A null field reads as absent, except where
// transformers gives None a meaning (soft-caps, sliding_window, num_key_value_heads, token ids).
// Deliberate difference: save_pretrained always writes the model's dimensions at the top level,
// so a top-level config lacking one is refused rather than given transformers' default; the
// Gemma 3 wrapper's text_config is written as a diff against Gemma3TextConfig's defaults, so
// there they apply.
import { ModelConfigError } from '../errors';
import { MAX_LAYERS } from './config';
import { parseConfigObject } from './json';
import { showJson } from './show_json';

/** Longest context a decoder runs with by default: the KV cache and RoPE tables are sized by it (decoder.ts). */
export const DECODER_MAX_CONTEXT = 2048;

export type DecoderFamily = 'gemma3' | 'gemma2' | 'llama' | 'qwen3';

/** RoPE of one layer type. Every type here has attention_factor 1: cos/sin are not rescaled. */
export interface RopeSpec {
  theta: number;
  type: 'default' | 'linear' | 'llama3';
  /** linear: positions are divided by it; llama3: low frequencies are */
  factor?: number;
  lowFreqFactor?: number;
  highFreqFactor?: number;
  originalMaxPositions?: number;
}

export interface DecoderLayerSpec {
  /** 0 = full causal attention; W > 0: query i sees keys i-W+1..i (transformers: kv > q - W) */
  window: number;
  rope: RopeSpec;
}

export interface DecoderConfig {
  modelType: 'decoder';
  family: DecoderFamily;
  /** model_type as written: gemma3_text, gemma3 (the multimodal wrapper), gemma2, llama, qwen3 */
  hfModelType: string;
  /** V */ vocabSize: number;
  /** C */ dModel: number;
  nLayers: number;
  /** NH */ nHeads: number;
  /** NKV: grouped-query heads; NH % NKV == 0 */ nKvHeads: number;
  /** HS: head_dim, not always C / NH (Gemma, Qwen 3) */ dHead: number;
  /** F: intermediate_size of the gated MLP */ dMlp: number;
  /** max_position_embeddings (the app may cap it) */ nCtx: number;
  rmsNormEps: number;
  /** Gemma's RMSNorm scales by (1 + w): 1; Llama/Qwen by w: 0 */
  normOffset: 0 | 1;
  /** Gemma multiplies embeddings by sqrt(C) (rounded to the activation dtype); else 1 */
  embedScale: number;
  /** gelu_tanh: gelu_pytorch_tanh (also gelu_new, gelu_fast); silu: silu/swish. MLP = down(act(gate x) * up x) */
  act: 'gelu_tanh' | 'silu';
  /** RMSNorm over HS on each q and k head, before RoPE (Gemma 3, Qwen 3) */
  qkNorm: boolean;
  /** Gemma 2/3: post_attention_layernorm on the attention output, pre/post_feedforward_layernorm round the MLP */
  sandwichNorms: boolean;
  /** query_pre_attn_scalar ** -0.5 (Gemma), else HS ** -0.5 */
  attnScale: number;
  /** s * tanh(x / s) on attention scores / final logits; 0 = none */
  attnSoftcap: number;
  finalSoftcap: number;
  /** q/k/v/o_proj carry biases (attention_bias; no Hub model of these families sets it) */
  attentionBias: boolean;
  /** gate/up/down_proj carry biases (Llama's mlp_bias) */
  mlpBias: boolean;
  /** lm_head is embed_tokens */
  tiedEmbeddings: boolean;
  layers: DecoderLayerSpec[];
  bosTokenId: number | null;
  eosTokenIds: number[];
  padTokenId: number | null;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const FAMILIES: Record<string, DecoderFamily> = { gemma3_text: 'gemma3', gemma3: 'gemma3', gemma2: 'gemma2', llama: 'llama', qwen3: 'qwen3' };
const ACTS: Record<string, DecoderConfig['act']> = { gelu_pytorch_tanh: 'gelu_tanh', gelu_new: 'gelu_tanh', gelu_fast: 'gelu_tanh', silu: 'silu', swish: 'silu' };
// Gemma3TextConfig's defaults for the dimensions: the real gemma-3-4b text_config omits most of them.
const GEMMA3_DIMS: Json = { vocab_size: 262_208, hidden_size: 2304, intermediate_size: 9216, num_hidden_layers: 26, num_attention_heads: 8 };

/** Reads fields of one JSON object; errors name the field with its path (e.g. "text_config.sliding_window"). */
class Fields {
  constructor(readonly file: string, readonly raw: Json, readonly path = '') {}
  fail(field: string, detail: string): never {
    throw new ModelConfigError(this.file, detail, this.path + field);
  }
  get = (field: string): unknown => this.raw[field] ?? undefined; // null reads as absent
  has = (field: string): boolean => this.get(field) !== undefined;
  isNull = (field: string): boolean => this.raw[field] === null;
  int(field: string, fallback?: number): number {
    const v = this.get(field) ?? fallback;
    if (v === undefined) this.fail(field, 'is missing; config.json must give it');
    if (!Number.isSafeInteger(v) || (v as number) <= 0) this.fail(field, `must be a positive integer, got ${showJson(v)}`);
    return v as number;
  }
  num(field: string, fallback?: number): number {
    const v = this.get(field) ?? fallback;
    if (v === undefined) this.fail(field, 'is missing; config.json must give it');
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) this.fail(field, `must be a positive number, got ${showJson(v)}`);
    return v;
  }
  /** A positive number, or 0 for an explicit null (None: feature off); `fallback` when absent. */
  optNum(field: string, fallback: number | null): number {
    if (this.isNull(field)) return 0;
    return this.has(field) ? this.num(field) : (fallback ?? 0);
  }
  bool(field: string, fallback: boolean): boolean {
    const v = this.get(field) ?? fallback;
    if (typeof v !== 'boolean') this.fail(field, `must be true or false, got ${showJson(v)}`);
    return v;
  }
  /** Token ids: an id, a list of them (eos_token_id) or null; `fallback` when absent. */
  ids(field: string, fallback: number[], many = false): number[] {
    if (!(field in this.raw)) return fallback;
    const v = this.raw[field];
    const list = v === null ? [] : Array.isArray(v) && many ? v : [v];
    if (!list.every((x) => Number.isSafeInteger(x) && x >= 0)) this.fail(field, `must be a token id${many ? ' or a list of them' : ''}, got ${showJson(v)}`);
    return list as number[];
  }
  obj(field: string): Json | undefined {
    const v = this.get(field);
    if (v !== undefined && !isObj(v)) this.fail(field, `must be an object, got ${showJson(v)}`);
    return v as Json | undefined;
  }
  sub(field: string): Fields {
    return new Fields(this.file, this.obj(field) ?? {}, `${this.path}${field}.`);
  }
}

/**
 * One RoPE dict (`rope_scaling`, `rope_parameters` or one of its per-layer-type entries). The type
 * is `rope_type`, else the older `type`, else default; theta falls back to the top-level
 * `rope_theta` (or Gemma 3's `rope_local_base_freq`); llama3's original_max_position_embeddings
 * falls back to max_position_embeddings (5.x's standardize_rope_params).
 */
function ropeSpec(r: Fields, theta: number, maxPos: number): RopeSpec {
  const typeField = r.has('rope_type') ? 'rope_type' : 'type';
  const type = r.get(typeField) ?? 'default';
  if (type !== 'default' && type !== 'linear' && type !== 'llama3') {
    r.fail(typeField, `is ${showJson(type)}; Glassbox supports the RoPE types default, linear and llama3`);
  }
  if (r.has('partial_rotary_factor') && r.get('partial_rotary_factor') !== 1) r.fail('partial_rotary_factor', 'must be 1: Glassbox rotates the whole head');
  const spec: RopeSpec = { theta: r.num('rope_theta', theta), type };
  if (type === 'linear') spec.factor = r.num('factor');
  if (type === 'llama3') {
    spec.factor = r.num('factor');
    spec.lowFreqFactor = r.num('low_freq_factor');
    spec.highFreqFactor = r.num('high_freq_factor');
    spec.originalMaxPositions = r.int('original_max_position_embeddings', maxPos);
    if (spec.highFreqFactor <= spec.lowFreqFactor) r.fail('high_freq_factor', `must exceed low_freq_factor (${spec.lowFreqFactor})`);
  }
  return spec;
}

/** `rope_scaling` (4.x) wins over `rope_parameters` (5.x), as in transformers 5's conversion; an empty dict counts as absent. */
function flatRope(f: Fields): Fields {
  const scaling = f.obj('rope_scaling');
  const r = scaling && Object.keys(scaling).length ? f.sub('rope_scaling') : f.sub('rope_parameters');
  if ('full_attention' in r.raw || 'sliding_attention' in r.raw) f.fail('rope_parameters', 'is keyed by layer type; Glassbox reads that for Gemma 3 only');
  return r;
}

export function parseDecoderConfig(text: string, file = 'config.json'): DecoderConfig {
  const raw = parseConfigObject(text, file);
  const top: Fields = new Fields(file, raw);
  const hfModelType = raw.model_type;
  const family = typeof hfModelType === 'string' && Object.hasOwn(FAMILIES, hfModelType) ? FAMILIES[hfModelType] : undefined;
  if (!family) {
    top.fail('model_type', `is ${showJson(hfModelType)}; Glassbox runs gemma3_text, gemma3 (its text model), gemma2, llama and qwen3 here (gpt2 has its own loader)`);
  }
  if (top.has('quantization_config')) top.fail('quantization_config', 'is set: quantized checkpoints are not supported; use the bf16/f32 weights');
  const wrapper = hfModelType === 'gemma3';
  const f: Fields = wrapper ? top.sub('text_config') : top;
  if (wrapper && f.has('model_type') && f.get('model_type') !== 'gemma3_text') f.fail('model_type', `is ${showJson(f.get('model_type'))}; expected "gemma3_text"`);
  const gemma = family === 'gemma3' || family === 'gemma2';
  const dim = (field: string) => f.int(field, wrapper ? (GEMMA3_DIMS[field] as number) : undefined);

  const dModel = dim('hidden_size');
  const nLayers = dim('num_hidden_layers');
  if (nLayers > MAX_LAYERS) f.fail('num_hidden_layers', `${nLayers} layers is more than Glassbox loads (${MAX_LAYERS}); is config.json corrupt?`);
  const nHeads = dim('num_attention_heads');
  // num_key_value_heads: Gemma 4; Qwen 3 32 when absent (its class default, whatever NH is) but NH
  // when null; Llama NH.
  const kvNull = !gemma && f.isNull('num_key_value_heads');
  const nKvHeads = kvNull ? nHeads : f.int('num_key_value_heads', gemma ? 4 : family === 'qwen3' ? 32 : nHeads);
  if (nHeads % nKvHeads) f.fail('num_key_value_heads', `${nKvHeads} does not divide num_attention_heads ${nHeads}`);
  // head_dim: Gemma 256, Qwen 3 128, Llama C / NH.
  const dHead = f.int('head_dim', gemma ? 256 : family === 'qwen3' ? 128 : Math.floor(dModel / nHeads));
  if (dHead % 2) f.fail('head_dim', `${dHead} must be even: RoPE rotates pairs`);
  const nCtx = f.int('max_position_embeddings', { gemma3: 131_072, gemma2: 8192, llama: 2048, qwen3: 32_768 }[family]);

  const actField = gemma ? 'hidden_activation' : 'hidden_act'; // Gemma ignores hidden_act
  const actName = f.get(actField) ?? (gemma ? 'gelu_pytorch_tanh' : 'silu');
  const act = typeof actName === 'string' && Object.hasOwn(ACTS, actName) ? ACTS[actName] : undefined;
  if (!act) f.fail(actField, `is ${showJson(actName)}; Glassbox supports gelu_pytorch_tanh (and gelu_new, gelu_fast) and silu`);

  if (gemma && f.get('use_bidirectional_attention')) f.fail('use_bidirectional_attention', 'is true (an encoder such as EmbeddingGemma); Glassbox runs causal decoders');
  for (const g of [top, f]) if (g.has('partial_rotary_factor') && g.get('partial_rotary_factor') !== 1) g.fail('partial_rotary_factor', 'must be 1: Glassbox rotates the whole head');

  // Which layers slide, and each layer type's RoPE.
  let window = 0;
  let derived: (i: number) => boolean = () => false;
  let rope: Record<'full_attention' | 'sliding_attention', RopeSpec>;
  if (family === 'gemma3') {
    const rp = f.obj('rope_parameters');
    if (rp && Object.keys(rp).length && !('full_attention' in rp || 'sliding_attention' in rp)) {
      f.fail('rope_parameters', 'must be keyed by layer type (full_attention, sliding_attention) for Gemma 3');
    }
    // 4.x: rope_theta + rope_scaling on global layers, rope_local_base_freq (default type) on
    // sliding ones; 5.x: rope_parameters[layer type], and rope_scaling updates full_attention.
    const scaling = f.obj('rope_scaling');
    const full = scaling && Object.keys(scaling).length
      ? new Fields(file, { ...(isObj(rp?.full_attention) ? rp.full_attention : {}), ...scaling }, `${f.path}rope_scaling.`)
      : f.sub('rope_parameters').sub('full_attention');
    rope = {
      full_attention: ropeSpec(full, f.num('rope_theta', 1_000_000), nCtx),
      sliding_attention: ropeSpec(f.sub('rope_parameters').sub('sliding_attention'), f.num('rope_local_base_freq', 10_000), nCtx),
    };
    derived = (i) => (i + 1) % f.int('sliding_window_pattern', 6) !== 0; // 4.x: every pattern-th layer is global
  } else {
    const spec = ropeSpec(flatRope(f), f.num('rope_theta', 10_000), nCtx);
    rope = { full_attention: spec, sliding_attention: spec };
    if (family === 'gemma2') derived = (i) => i % 2 === 0; // layer 0 slides, then every other
  }
  let layerTypes: unknown = f.get('layer_types');
  if (family === 'llama') layerTypes = undefined; // LlamaConfig has no layer_types: all full
  if (family === 'qwen3') {
    // sliding_window (4096 when absent) counts only with use_sliding_window; layers from
    // max_window_layers on slide.
    if (f.bool('use_sliding_window', false) && !f.isNull('sliding_window')) {
      window = f.int('sliding_window', 4096);
      derived = (i) => i >= f.int('max_window_layers', 28);
    }
  }
  const types: string[] = [];
  if (layerTypes === undefined) {
    for (let i = 0; i < nLayers; i++) types.push(derived(i) ? 'sliding_attention' : 'full_attention');
  } else {
    if (!Array.isArray(layerTypes) || layerTypes.length !== nLayers) {
      f.fail('layer_types', `must list one type per layer (${nLayers}), got ${showJson(layerTypes)}`);
    }
    for (const t of layerTypes) {
      const type = t === 'attention' ? 'full_attention' : t; // 5.x remaps the legacy name
      if (type !== 'full_attention' && type !== 'sliding_attention') {
        f.fail('layer_types', `has ${showJson(t)}; Glassbox supports full_attention and sliding_attention`);
      }
      types.push(type);
    }
  }
  const sliding = types.includes('sliding_attention');
  if (sliding && gemma && !f.isNull('sliding_window')) window = f.int('sliding_window', 4096);
  if (sliding && !window) f.fail('sliding_window', 'is not set, but layer_types has sliding_attention layers');
  const layers = types.map((t) => (t === 'sliding_attention' ? { window, rope: rope.sliding_attention } : { window: 0, rope: rope.full_attention }));

  // Special tokens (bos, eos, pad): the text config's, with its class defaults, then the wrapper's own keys.
  const tok = { gemma3: [[2], [1], [0]], gemma2: [[2], [1], [0]], llama: [[1], [2], []], qwen3: [[], [], []] }[family];
  const [bos, eos, pad] = (['bos_token_id', 'eos_token_id', 'pad_token_id'] as const).map((k, i) => {
    const ids = f.ids(k, tok[i], i === 1);
    return wrapper ? top.ids(k, ids, i === 1) : ids;
  });
  // 4.x ties by the text config's flag, 5.x by the wrapper's; both default to true for Gemma 3.
  const tiedEmbeddings = f.has('tie_word_embeddings') ? f.bool('tie_word_embeddings', true) : top.bool('tie_word_embeddings', gemma);

  return {
    modelType: 'decoder',
    family,
    hfModelType: hfModelType as string,
    vocabSize: dim('vocab_size'),
    dModel,
    nLayers,
    nHeads,
    nKvHeads,
    dHead,
    dMlp: dim('intermediate_size'),
    nCtx,
    rmsNormEps: f.num('rms_norm_eps', 1e-6),
    normOffset: gemma ? 1 : 0,
    embedScale: gemma ? Math.sqrt(dModel) : 1,
    act,
    qkNorm: family === 'gemma3' || family === 'qwen3',
    sandwichNorms: gemma,
    attnScale: gemma ? f.num('query_pre_attn_scalar', 256) ** -0.5 : dHead ** -0.5,
    attnSoftcap: gemma ? f.optNum('attn_logit_softcapping', family === 'gemma2' ? 50 : null) : 0,
    finalSoftcap: gemma ? f.optNum('final_logit_softcapping', family === 'gemma2' ? 30 : null) : 0,
    attentionBias: f.bool('attention_bias', false),
    mlpBias: family === 'llama' ? f.bool('mlp_bias', false) : false,
    tiedEmbeddings,
    layers,
    bosTokenId: bos[0] ?? null,
    eosTokenIds: eos,
    padTokenId: pad[0] ?? null,
  };
}

/**
 * RoPE inverse frequencies (HS/2 of them) as transformers' rope init functions compute them:
 * default theta^(-2i/HS); linear divides all by factor; llama3 (Llama 3.1+) divides those whose
 * wavelength 2π/f exceeds original/low_freq_factor by factor, keeps those below
 * original/high_freq_factor, and blends in between with s = (original/wavelength - low) / (high - low):
 * (1 - s) f / factor + s f. transformers computes each step in f32 (torch.float), so its table
 * differs from these f64 values by a few f32 ulps (2.2e-7 relative at most for Llama 3.2's).
 */
export function ropeInvFreq(spec: RopeSpec, dHead: number): Float64Array {
  const out = new Float64Array(dHead / 2);
  for (let i = 0; i < out.length; i++) {
    const f = 1 / spec.theta ** ((2 * i) / dHead);
    if (spec.type === 'linear') {
      out[i] = f / spec.factor!;
    } else if (spec.type === 'llama3') {
      const { factor, lowFreqFactor: lo, highFreqFactor: hi, originalMaxPositions: orig } = spec as Required<RopeSpec>;
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < orig / hi) out[i] = f;
      else if (wavelen > orig / lo) out[i] = f / factor;
      else {
        const s = (orig / wavelen - lo) / (hi - lo);
        out[i] = ((1 - s) * f) / factor + s * f;
      }
    } else {
      out[i] = f;
    }
  }
  return out;
}
