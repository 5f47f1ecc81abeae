// One fuzz target per parser: its files (with the kind of mutation each takes), seeds, the words
// and keys it branches on, how much it may allocate per input byte, and what a valid result is.
import './recording_device'; // WebGPU's constants, which load.ts's imports read at load
import { parseModelConfig, parseShardIndex, type ModelConfig } from '../../src/model/load';
import { MAX_LAYERS } from '../../src/model/config';
import { openSafetensors, parseSafetensors, toFloat32, type SafetensorsHeader } from '../../src/model/safetensors';
import { TextTokenizer } from '../../src/model/tokenizer';
import { parseSaeLensConfig, saeLensWeights, saeTensorShapes, type SaeConfig, type SaeWeights } from '../../src/sae/formats';
import { parseGemmaScope2 } from '../../src/sae/gemma_scope2';
import { parseGemmaScopeNpz } from '../../src/sae/npz';
import { parseLabelExport, type Labels } from '../../src/store/labels';
import { readUrl, writeUrl, type UrlState } from '../../src/ui/state/url';
import type { Kind, Vocab } from './fuzz_mutate';
import * as S from './fuzz_seeds';

export interface Target {
  name: string;
  files: Record<string, Kind>;
  seeds: () => S.Files[];
  vocab: Vocab;
  /**
   * The largest single buffer a parser may allocate is allocFactor * (input bytes) + ALLOC_SLACK:
   * 1 for text formats, 2 where f16/bf16 widen to f32, 1032 (deflate's largest ratio) for gzip,
   * 2 * 1032 for npz (an inflated f16 .npy widened to f32).
   */
  allocFactor: number;
  /** Runs the parser on fresh copies of the files (each a whole buffer); may be async. */
  run(files: S.Files): unknown;
  /** Throws when an accepted input gave a result that is not valid. */
  check(result: unknown, files: S.Files): void;
}

const dec = new TextDecoder();
const str = (b: Uint8Array | undefined) => (b ? dec.decode(b) : '');
const buf = (b: Uint8Array) => b.buffer as ArrayBuffer; // the runner hands each parser fresh copies, whole buffers


function need(ok: boolean, what: string): void {
  if (!ok) throw new Error(`invalid result: ${what}`);
}
const posInt = (v: unknown, what: string) => need(Number.isSafeInteger(v) && (v as number) > 0, `${what} = ${v} is not a positive safe integer`);
const posNum = (v: unknown, what: string) => need(typeof v === 'number' && Number.isFinite(v) && v > 0, `${what} = ${v} is not a positive finite number`);
const ids = (v: unknown[], what: string) => need(v.every((x) => x === null || (Number.isSafeInteger(x) && (x as number) >= 0)), `${what} holds a bad token id`);

function checkModelConfig(c: ModelConfig): void {
  for (const k of ['vocabSize', 'nCtx', 'dModel', 'nLayers', 'nHeads', 'dHead', 'dMlp'] as const) posInt(c[k], k);
  need(c.nLayers <= MAX_LAYERS, `nLayers ${c.nLayers} > ${MAX_LAYERS}: the loader loops over layers before it looks at any weight`);
  if (c.modelType === 'gpt2') {
    posNum(c.layerNormEps, 'layerNormEps');
    need(c.dModel === c.nHeads * c.dHead, 'dModel != nHeads * dHead');
    ids([c.bosTokenId, c.eosTokenId], 'bos/eos');
    return;
  }
  posInt(c.nKvHeads, 'nKvHeads');
  need(c.nHeads % c.nKvHeads === 0 && c.dHead % 2 === 0, 'nKvHeads must divide nHeads, dHead must be even');
  for (const k of ['rmsNormEps', 'embedScale', 'attnScale'] as const) posNum(c[k], k);
  for (const k of ['attnSoftcap', 'finalSoftcap'] as const) need(Number.isFinite(c[k]) && c[k] >= 0, `${k} = ${c[k]}`);
  need(c.layers.length === c.nLayers, 'one layer spec per layer');
  for (const l of c.layers) {
    need(Number.isSafeInteger(l.window) && l.window >= 0, `window ${l.window}`);
    posNum(l.rope.theta, 'rope.theta');
    for (const k of ['factor', 'lowFreqFactor', 'highFreqFactor'] as const) if (l.rope[k] !== undefined) posNum(l.rope[k], `rope.${k}`);
    if (l.rope.originalMaxPositions !== undefined) posInt(l.rope.originalMaxPositions, 'rope.originalMaxPositions');
  }
  ids([c.bosTokenId, c.padTokenId, ...c.eosTokenIds], 'bos/pad/eos');
}

function checkSae(r: { cfg: SaeConfig; weights?: SaeWeights }): void {
  const { cfg } = r;
  posInt(cfg.dIn, 'dIn');
  posInt(cfg.dSae, 'dSae');
  if (cfg.k !== null) posInt(cfg.k, 'k');
  if (cfg.normScalingFactor !== null) posNum(cfg.normScalingFactor, 'normScalingFactor');
  need(typeof cfg.hookName === 'string', 'hookName is a string');
  if (!r.weights) return;
  for (const [name, shape] of saeTensorShapes(cfg)) {
    const w = r.weights.get(name);
    need(w instanceof Float32Array && w.length === shape.reduce((a, b) => a * b, 1), `weight ${name} has the length its shape says`);
  }
}

const ST_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8, U8: 1 };

function checkHeader(st: SafetensorsHeader, size = Infinity): void {
  for (const t of st.tensors.values()) {
    need(Object.hasOwn(ST_BYTES, t.dtype), `dtype ${t.dtype}`);
    need(t.shape.every((d) => Number.isSafeInteger(d) && d >= 0), `shape [${t.shape}] of safe integers`);
    need(t.end - t.begin === t.shape.reduce((a, b) => a * b, 1) * ST_BYTES[t.dtype] && t.begin >= 8 && t.end <= size, `tensor ${t.name}'s span matches its shape and lies in the file`);
  }
  const md = st.metadata as unknown;
  need(typeof md === 'object' && md !== null && !Array.isArray(md) && Object.values(md).every((v) => typeof v === 'string'), '__metadata__ is a map of strings');
}

const CONFIG_VOCAB: Vocab = {
  keys: [
    'model_type', 'n_embd', 'n_head', 'n_layer', 'n_inner', 'n_positions', 'n_ctx', 'vocab_size', 'layer_norm_epsilon', 'activation_function', 'tie_word_embeddings',
    'bos_token_id', 'eos_token_id', 'pad_token_id', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'head_dim', 'intermediate_size',
    'max_position_embeddings', 'hidden_act', 'hidden_activation', 'rms_norm_eps', 'rope_theta', 'rope_scaling', 'rope_parameters', 'rope_local_base_freq', 'rope_type',
    'type', 'factor', 'low_freq_factor', 'high_freq_factor', 'original_max_position_embeddings', 'partial_rotary_factor', 'sliding_window', 'sliding_window_pattern',
    'layer_types', 'use_sliding_window', 'max_window_layers', 'query_pre_attn_scalar', 'attn_logit_softcapping', 'final_logit_softcapping', 'attention_bias', 'mlp_bias',
    'text_config', 'quantization_config', 'use_bidirectional_attention', 'full_attention', 'sliding_attention',
  ],
  words: ['gpt2', 'gemma3_text', 'gemma3', 'gemma2', 'llama', 'qwen3', 'mistral', 'gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'silu', 'swish', 'relu', 'default', 'linear', 'llama3', 'yarn', 'full_attention', 'sliding_attention', 'attention'],
};

const configTarget = (family: (typeof S.CONFIG_FAMILIES)[number]): Target => ({
  name: `config-${family}`,
  files: { 'config.json': 'json' },
  seeds: () => S.configSeeds(family),
  vocab: CONFIG_VOCAB,
  allocFactor: 1,
  run: (f) => parseModelConfig(str(f['config.json'])),
  check: (r) => checkModelConfig(r as ModelConfig),
});

const ST_VOCAB: Vocab = {
  keys: ['dtype', 'shape', 'data_offsets', '__metadata__', 'format', 'W_enc', 'W_dec', 'b_enc', 'b_dec', 'threshold', 'log_threshold', 'b_gate', 'r_mag', 'b_mag', 'w_enc', 'w_dec', 'affine_skip_connection'],
  words: ['F32', 'F16', 'BF16', 'I32', 'I64', 'U8', 'F64', 'BOOL', 'f32', 'toString', '__proto__', 'constructor', 'pt'],
};

export const TARGETS: Target[] = [
  {
    name: 'safetensors',
    files: { 'model.safetensors': 'safetensors' },
    seeds: S.safetensorsSeeds,
    vocab: ST_VOCAB,
    allocFactor: 2,
    run: (f) => {
      const st = parseSafetensors(buf(f['model.safetensors']), 'model.safetensors');
      for (const t of st.tensors.values()) if (t.dtype === 'F32' || t.dtype === 'F16' || t.dtype === 'BF16') toFloat32(t, st.file);
      return st;
    },
    check: (r, f) => {
      const st = r as ReturnType<typeof parseSafetensors>;
      checkHeader(st, f['model.safetensors'].length);
      for (const t of st.tensors.values()) need(t.bytes.byteLength === t.end - t.begin, `tensor ${t.name}'s bytes are its span`);
    },
  },
  {
    name: 'safetensors-open',
    files: { 'model.safetensors': 'safetensors' },
    seeds: S.safetensorsSeeds,
    vocab: ST_VOCAB,
    allocFactor: 2,
    run: async (f) => {
      const st = await openSafetensors(new Blob([f['model.safetensors'] as Uint8Array<ArrayBuffer>]), 'model.safetensors');
      for (const t of st.tensors.values()) {
        if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16') continue;
        await st.read(t);
        if ((t.shape[0] ?? 0) > 1) await st.read(t, 1, 1);
      }
      return st;
    },
    check: (r) => checkHeader(r as SafetensorsHeader),
  },
  {
    name: 'shard-index',
    files: { 'model.safetensors.index.json': 'json' },
    seeds: S.shardIndexSeeds,
    vocab: { keys: ['weight_map', 'metadata', 'total_size'], words: ['model.safetensors', 'model-00001-of-00002.safetensors', '../x.safetensors', 'a/b.safetensors', '.safetensors', 'x.bin'] },
    allocFactor: 1,
    run: (f) => parseShardIndex(buf(f['model.safetensors.index.json'])),
    check: (r) => {
      const files = r as string[];
      need(files.length > 0 && new Set(files).size === files.length, 'a non-empty list of distinct shards');
      need(files.every((x) => typeof x === 'string' && /^[\w.-]+\.safetensors$/.test(x)), 'shard names are .safetensors files in the folder');
    },
  },
  ...S.CONFIG_FAMILIES.map(configTarget),
  {
    name: 'tokenizer',
    files: { 'tokenizer.json': 'json', 'tokenizer_config.json': 'json' },
    seeds: S.tokenizerSeeds,
    vocab: {
      keys: [
        'model', 'type', 'vocab', 'merges', 'added_tokens', 'normalizer', 'pre_tokenizer', 'post_processor', 'decoder', 'bos_token', 'eos_token', 'chat_template',
        'add_bos_token', 'add_eos_token', 'unk_token', 'unk_id', 'byte_fallback', 'pattern', 'content', 'id', 'special', 'decoders', 'pretokenizers', 'normalizers',
        'single', 'pair', 'special_tokens', 'ids', 'tokens', 'continuing_subword_prefix', 'end_of_word_suffix', 'dropout', 'fuse_unk', 'ignore_merges',
        'max_input_chars_per_word', 'add_prefix_space', 'replacement', 'prepend_scheme', 'split', 'use_regex', 'trim_offsets', 'behavior', 'invert', 'Regex', 'String',
        'lstrip', 'rstrip', 'normalized', 'single_word', 'sep', 'cls', 'name', 'template',
      ],
      words: [
        'BPE', 'WordPiece', 'Unigram', 'WordLevel', 'ByteLevel', 'Metaspace', 'Sequence', 'TemplateProcessing', 'RobertaProcessing', 'Split', 'Replace', 'NFC', 'NFKC',
        'Precompiled', 'ByteFallback', 'Fuse', 'Strip', 'Lowercase', 'BertNormalizer', 'Whitespace', 'Digits', 'Punctuation', 'Isolated', 'Removed', 'MergedWithPrevious',
        'first', 'always', 'never', '<bos>', '<eos>', '<|endoftext|>', '[UNK]', '(?:)', '(', '\\p{L}+', '[', '\\', 'default',
      ],
    },
    allocFactor: 1,
    run: (f) => {
      const warn = console.warn; // the library warns about each pattern it does not know
      console.warn = () => {};
      try {
        return TextTokenizer.fromJson(str(f['tokenizer.json']), str(f['tokenizer_config.json']) || null);
      } finally {
        console.warn = warn;
      }
    },
    check: (r) => {
      const tok = r as TextTokenizer;
      const probe = tok.encode('<bos>The OCEAN, 1e9 ü\t[UNK] <|endoftext|> ##s ▁x 🚢');
      need(probe.every((id) => Number.isSafeInteger(id) && id >= 0), 'encode gives token ids');
      need(typeof tok.decode(probe) === 'string' && tok.pieces(probe).every((p) => typeof p === 'string'), 'decode gives text');
      need(tok.chatStopIds([1]).every((id) => Number.isSafeInteger(id) && id >= 0), 'chat stop ids are token ids');
    },
  },
  {
    name: 'sae-lens',
    files: { 'cfg.json': 'json', 'sae_weights.safetensors': 'safetensors' },
    seeds: S.saeLensSeeds,
    vocab: {
      keys: [
        'architecture', 'd_in', 'd_sae', 'k', 'activation_fn_str', 'activation_fn', 'activation_fn_kwargs', 'apply_b_dec_to_input', 'normalize_activations',
        'rescale_acts_by_decoder_norm', 'hook_name', 'hook_point', 'metadata', 'meta', 'model_name', 'model_from_pretrained_kwargs', 'center_writing_weights',
        'norm_scaling_factor', ...ST_VOCAB.keys,
      ],
      words: ['standard', 'jumprelu', 'topk', 'gated', 'relu', 'tanh-relu', 'none', 'expected_average_only_in', 'constant_norm_rescale', 'layer_norm', 'blocks.0.hook_resid_pre', ...ST_VOCAB.words],
    },
    allocFactor: 2,
    run: (f) => {
      const cfg = parseSaeLensConfig(str(f['cfg.json']));
      return { cfg, weights: saeLensWeights(parseSafetensors(buf(f['sae_weights.safetensors']), 'sae_weights.safetensors'), cfg) };
    },
    check: (r) => checkSae(r as { cfg: SaeConfig; weights: SaeWeights }),
  },
  {
    name: 'gemma-scope-npz',
    files: { 'params.npz': 'npz' },
    seeds: S.npzSeeds,
    vocab: { keys: [], words: [] },
    allocFactor: 2 * 1032,
    run: (f) => parseGemmaScopeNpz(buf(f['params.npz']), 'blocks.3.hook_resid_post'),
    check: (r) => checkSae(r as { cfg: SaeConfig; weights: SaeWeights }),
  },
  {
    name: 'gemma-scope-2',
    files: { 'config.json': 'json', 'params.safetensors': 'safetensors', folder: 'text' },
    seeds: S.gemmaScope2Seeds,
    vocab: {
      keys: ['hf_hook_point_in', 'hf_hook_point_out', 'width', 'model_name', 'architecture', 'l0', 'affine_connection', 'type', ...ST_VOCAB.keys],
      words: [
        'sae', 'transcoder', 'clt', 'crosscoder', 'jump_relu', 'jumprelu', 'relu', 'model.layers.3.output', 'model.language_model.layers.12.output',
        'model.layers.3.self_attn.o_proj.input', 'model.layers.3.post_feedforward_layernorm.output', 'model.layers.99999999999999999999999.output', 'layers.-1.output', ...ST_VOCAB.words,
      ],
    },
    allocFactor: 2,
    run: (f) => parseGemmaScope2(str(f['config.json']), buf(f['params.safetensors']), {}, str(f.folder)),
    check: (r) => {
      checkSae(r as { cfg: SaeConfig; weights: SaeWeights });
      need(/^blocks\.\d+\.hook_resid_post$/.test((r as { cfg: SaeConfig }).cfg.hookName), `hook ${(r as { cfg: SaeConfig }).cfg.hookName} is a blocks.L.hook_resid_post`);
    },
  },
  {
    name: 'labels',
    files: { 'labels.json': 'labels' },
    seeds: S.labelSeeds,
    vocab: { keys: ['index', 'description', 'explanation', 'featureIndex', 'feature', 'explanations', 'features', 'modelId', 'layer'], words: ['0', '12', '-1', '1e3', ' ', 'ocean'] },
    allocFactor: 1032,
    run: (f) => parseLabelExport(f['labels.json'], 'labels.json'),
    check: (r) => {
      const labels = r as Labels;
      need(labels instanceof Map && labels.size > 0, 'a non-empty map');
      for (const [id, text] of labels) need(Number.isSafeInteger(id) && id >= 0 && typeof text === 'string' && text.length > 0 && text === text.trim(), `label ${id}`);
    },
  },
  {
    name: 'url',
    files: { search: 'url' },
    seeds: S.urlSeeds,
    vocab: { keys: [], words: [] },
    allocFactor: 1,
    run: (f) => readUrl(str(f.search)),
    check: (r) => {
      const s = r as UrlState;
      for (const it of s.steering) need(Number.isSafeInteger(it.feature) && it.feature >= 0 && Number.isFinite(it.strength), `steering ${it.feature}:${it.strength}`);
      for (const v of [s.sampling.temperature, s.sampling.topK, s.sampling.topP, s.seed, s.maxNewTokens]) need(Number.isFinite(v), 'finite sampling fields');
      const u1 = writeUrl(s);
      const s2 = readUrl(u1);
      need(s2.steering.length === s.steering.length, `a round trip keeps every steering item (${s.steering.length} -> ${s2.steering.length}: ${u1.slice(0, 200)})`);
      need(writeUrl(s2) === u1, 'writeUrl(readUrl(writeUrl(s))) is stable');
    },
  },
];
