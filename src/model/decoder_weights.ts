// Hub tensor names of the modern decoder families, and the shapes a DecoderConfig implies,
// checked against a checkpoint's names before anything is read. nn.Linear weights are stored
// [out, in]; our canonical names are the Hub names without the model prefix.
import { ModelFileError } from '../errors';
import type { DecoderConfig } from './decoder_config';

export interface HubTensor {
  /** the name in the checkpoint, prefix included */
  hub: string;
  shape: number[];
}

/**
 * Every tensor the forward reads, canonical name → shape (C d_model, V vocab, NH/NKV heads,
 * HS head size, F d_mlp). In every family `post_attention_layernorm` exists, but it means two
 * things: Llama/Qwen 3 apply it to the residual before the MLP (GPT-2's ln_2); Gemma applies it
 * to the attention output before the residual add, and normalises the MLP input with
 * `pre_feedforward_layernorm` and its output with `post_feedforward_layernorm`.
 */
export function expectedDecoderShapes(cfg: DecoderConfig): Map<string, number[]> {
  const { vocabSize: V, dModel: C, nHeads: NH, nKvHeads: NKV, dHead: HS, dMlp: F } = cfg;
  const m = new Map<string, number[]>([['embed_tokens.weight', [V, C]]]);
  for (let l = 0; l < cfg.nLayers; l++) {
    const p = `layers.${l}.`;
    m.set(`${p}input_layernorm.weight`, [C]);
    const proj: Array<[string, number, number]> = [['q_proj', NH * HS, C], ['k_proj', NKV * HS, C], ['v_proj', NKV * HS, C], ['o_proj', C, NH * HS]];
    for (const [name, out, inp] of proj) {
      m.set(`${p}self_attn.${name}.weight`, [out, inp]);
      if (cfg.attentionBias) m.set(`${p}self_attn.${name}.bias`, [out]);
    }
    if (cfg.qkNorm) m.set(`${p}self_attn.q_norm.weight`, [HS]).set(`${p}self_attn.k_norm.weight`, [HS]);
    m.set(`${p}post_attention_layernorm.weight`, [C]);
    if (cfg.sandwichNorms) m.set(`${p}pre_feedforward_layernorm.weight`, [C]).set(`${p}post_feedforward_layernorm.weight`, [C]);
    const mlp: Array<[string, number, number]> = [['gate_proj', F, C], ['up_proj', F, C], ['down_proj', C, F]];
    for (const [name, out, inp] of mlp) {
      m.set(`${p}mlp.${name}.weight`, [out, inp]);
      if (cfg.mlpBias) m.set(`${p}mlp.${name}.bias`, [out]);
    }
  }
  m.set('norm.weight', [C]);
  if (!cfg.tiedEmbeddings) m.set('lm_head.weight', [V, C]);
  return m;
}

/**
 * Where the decoder's tensors sit in a checkpoint, tried in this order:
 * - `model.`: every *ForCausalLM (Gemma3ForCausalLM, LlamaForCausalLM, ...);
 * - `language_model.model.`: the Gemma 3 multimodal wrapper as the Hub ships it (gemma-3-4b and
 *   up); transformers still saves this layout, reverting its `_checkpoint_conversion_mapping`;
 *   its untied head is `language_model.lm_head.weight`;
 * - `model.language_model.`: the wrapper's in-memory names since transformers' VLM refactor
 *   (what 5.x's `_tied_weights_keys` names), found in checkpoints written straight from the state dict;
 * - no prefix: a bare *Model saved without its LM head.
 */
const LAYOUTS = [
  { model: 'model.', lmHead: 'lm_head.weight' },
  { model: 'language_model.model.', lmHead: 'language_model.lm_head.weight' },
  { model: 'model.language_model.', lmHead: 'lm_head.weight' },
  { model: '', lmHead: 'lm_head.weight' },
];

/**
 * Canonical name → Hub name and expected shape, for the layout whose embed_tokens.weight the
 * checkpoint has. `names` are the checkpoint's tensor names (a safetensors header's keys, or a
 * sharded model.safetensors.index.json's weight_map keys); extra names (a vision tower, old
 * rotary inv_freq buffers, a tied lm_head) are ignored. A missing tensor is a ModelFileError
 * naming `file` and the tensor.
 */
export function decoderTensorNames(cfg: DecoderConfig, names: Iterable<string>, file = 'model.safetensors'): Map<string, HubTensor> {
  const have = new Set(names);
  const layout = LAYOUTS.find((l) => have.has(`${l.model}embed_tokens.weight`));
  if (!layout) {
    const tried = LAYOUTS.map((l) => `${l.model}embed_tokens.weight`).join(', ');
    throw new ModelFileError(file, `is missing: no ${tried} in the checkpoint. Is this a ${cfg.hfModelType} model file?`, 'model.embed_tokens.weight');
  }
  const out = new Map<string, HubTensor>();
  for (const [name, shape] of expectedDecoderShapes(cfg)) {
    const hub = name === 'lm_head.weight' ? layout.lmHead : layout.model + name;
    if (!have.has(hub)) {
      const why = name === 'lm_head.weight' ? 'config.json says tie_word_embeddings is false, so the LM head is its own tensor' : `a ${cfg.hfModelType} checkpoint with num_hidden_layers=${cfg.nLayers} needs it`;
      throw new ModelFileError(file, `is missing; ${why}. Is this the right model file?`, hub);
    }
    out.set(name, { hub, shape });
  }
  return out;
}

/**
 * Checks the shapes of the expected tensors that `tensors` (one safetensors file, or one shard)
 * holds; tensors it lacks are skipped, so shards can be checked one by one. A wrong shape is a
 * ModelFileError naming `file` and the tensor.
 */
export function checkDecoderShapes(
  expected: ReadonlyMap<string, HubTensor>,
  tensors: ReadonlyMap<string, { shape: readonly number[] }>,
  file: string,
): void {
  for (const { hub, shape } of expected.values()) {
    const t = tensors.get(hub);
    if (t && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
      throw new ModelFileError(file, `has shape [${t.shape}] but config.json implies [${shape}]. The config and the weights are from different models.`, hub);
    }
  }
}
