// Hub configs as transformers 4.x wrote them (google/gemma-3-270m, gemma-3-1b-it, gemma-3-4b-it,
// gemma-2-2b, meta-llama/Llama-3.2-1B, Qwen/Qwen3-0.6B), trimmed of fields the parser does not
// read: the shapes the benchmark runs with random weights and the tests check launch shapes at.
export const GEMMA3_270M = {
  architectures: ['Gemma3ForCausalLM'], model_type: 'gemma3_text', attention_bias: false, attn_logit_softcapping: null,
  bos_token_id: 2, eos_token_id: 1, final_logit_softcapping: null, head_dim: 256, hidden_activation: 'gelu_pytorch_tanh',
  hidden_size: 640, intermediate_size: 2048, max_position_embeddings: 32768, num_attention_heads: 4, num_hidden_layers: 18,
  num_key_value_heads: 1, pad_token_id: 0, query_pre_attn_scalar: 256, rms_norm_eps: 1e-6, rope_local_base_freq: 10000,
  rope_scaling: null, rope_theta: 1000000, sliding_window: 512, sliding_window_pattern: 6, vocab_size: 262144,
};
export const GEMMA3_1B = {
  architectures: ['Gemma3ForCausalLM'], model_type: 'gemma3_text', attention_bias: false, attn_logit_softcapping: null,
  bos_token_id: 2, eos_token_id: [1, 106], final_logit_softcapping: null, head_dim: 256, hidden_activation: 'gelu_pytorch_tanh',
  hidden_size: 1152, intermediate_size: 6912, max_position_embeddings: 32768, num_attention_heads: 4, num_hidden_layers: 26,
  num_key_value_heads: 1, pad_token_id: 0, query_pre_attn_scalar: 256, rms_norm_eps: 1e-6, rope_local_base_freq: 10000,
  rope_scaling: null, rope_theta: 1000000, sliding_window: 512, sliding_window_pattern: 6, vocab_size: 262144,
};
export const GEMMA3_4B_WRAPPER = {
  architectures: ['Gemma3ForConditionalGeneration'], model_type: 'gemma3', boi_token_index: 255999, eoi_token_index: 256000,
  eos_token_id: [1, 106], image_token_index: 262144, mm_tokens_per_image: 256,
  text_config: { hidden_size: 2560, intermediate_size: 10240, model_type: 'gemma3_text', num_hidden_layers: 34, rope_scaling: { factor: 8.0, rope_type: 'linear' }, sliding_window: 1024 },
  vision_config: { hidden_size: 1152, model_type: 'siglip_vision_model', num_hidden_layers: 27 },
};
export const GEMMA2_2B = {
  architectures: ['Gemma2ForCausalLM'], model_type: 'gemma2', attention_bias: false, attn_logit_softcapping: 50.0, bos_token_id: 2,
  eos_token_id: 1, final_logit_softcapping: 30.0, head_dim: 256, hidden_act: 'gelu_pytorch_tanh', hidden_activation: 'gelu_pytorch_tanh',
  hidden_size: 2304, intermediate_size: 9216, max_position_embeddings: 8192, num_attention_heads: 8, num_hidden_layers: 26,
  num_key_value_heads: 4, pad_token_id: 0, query_pre_attn_scalar: 256, rms_norm_eps: 1e-6, rope_theta: 10000.0, sliding_window: 4096, vocab_size: 256000,
};
export const LLAMA32_1B = {
  architectures: ['LlamaForCausalLM'], model_type: 'llama', attention_bias: false, bos_token_id: 128000, eos_token_id: 128001, head_dim: 64,
  hidden_act: 'silu', hidden_size: 2048, intermediate_size: 8192, max_position_embeddings: 131072, mlp_bias: false, num_attention_heads: 32,
  num_hidden_layers: 16, num_key_value_heads: 8, pretraining_tp: 1, rms_norm_eps: 1e-5,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  rope_theta: 500000.0, tie_word_embeddings: true, vocab_size: 128256,
};
export const QWEN3_06B = {
  architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', attention_bias: false, bos_token_id: 151643, eos_token_id: 151645, head_dim: 128,
  hidden_act: 'silu', hidden_size: 1024, intermediate_size: 3072, max_position_embeddings: 40960, max_window_layers: 28, num_attention_heads: 16,
  num_hidden_layers: 28, num_key_value_heads: 8, rms_norm_eps: 1e-6, rope_scaling: null, rope_theta: 1000000, sliding_window: null,
  tie_word_embeddings: true, use_sliding_window: false, vocab_size: 151936,
};
