// Checkpoint tensors, checked against config.json before anything reaches the GPU.
import { ModelFileError } from '../errors';
import { DTYPE_BYTES, roundToHalf, type WeightDtype } from '../gpu/f16';
import { expectedShapes, type Gpt2Config } from './config';
import { toFloat32, type Safetensors, type SafetensorsHeader } from './safetensors';

/** Tensors in Hugging Face GPT-2 names (no "transformer." prefix), as f32. */
export type Weights = Map<string, Float32Array>;

/**
 * Picks and checks the tensors the forward needs, by header alone: expected name → name in the
 * file. Accepts both GPT2Model keys ("h.0...") and GPT2LMHeadModel keys ("transformer.h.0...");
 * ignores the causal-mask buffers (h.L.attn.bias, h.L.attn.masked_bias) and lm_head.weight (tied to wte).
 */
export function gpt2TensorNames(st: SafetensorsHeader, cfg: Gpt2Config): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, shape] of expectedShapes(cfg)) {
    const t = st.tensors.get(name) ?? st.tensors.get(`transformer.${name}`);
    if (!t) {
      throw new ModelFileError(st.file, `is missing; a GPT-2 checkpoint with n_layer=${cfg.nLayers} needs it. Is this the right model file?`, name);
    }
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ModelFileError(
        st.file,
        `has shape [${t.shape}] but config.json implies [${shape}]. The config and the weights are from different models.`,
        t.name,
      );
    }
    out.set(name, t.name);
  }
  return out;
}

/** The tensors of a file in memory, checked, as f32. */
export function gpt2Weights(st: Safetensors, cfg: Gpt2Config): Weights {
  return new Map([...gpt2TensorNames(st, cfg)].map(([name, hub]) => [name, toFloat32(st.tensors.get(hub)!, st.file)]));
}

/** The weights as f16 storage keeps them (the matrices rounded to halves): a CPU reference's input. */
export function halfWeights(cfg: Gpt2Config, w: Weights): Weights {
  return new Map([...expectedShapes(cfg)].map(([name, shape]) => [name, storedDtype(shape, 'f16') === 'f16' ? roundToHalf(w.get(name)!) : w.get(name)!]));
}

/** How a tensor is stored on the GPU when the weights are `dtype`: matrices as dtype, vectors (biases, LayerNorm) as f32. */
export const storedDtype = (shape: number[], dtype: WeightDtype): WeightDtype => (shape.length === 2 ? dtype : 'f32');

/**
 * Bytes of weights one decode step reads: every tensor once (wte as the LM head), plus one row
 * each of wte and wpe for the embedding. Matrices are stored as `dtype`, vectors as f32.
 */
export function decodeBytesPerStep(cfg: Gpt2Config, dtype: WeightDtype = 'f32'): number {
  let n = 2 * cfg.dModel * DTYPE_BYTES[dtype];
  for (const [name, shape] of expectedShapes(cfg)) {
    if (name !== 'wpe.weight') n += shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[storedDtype(shape, dtype)];
  }
  return n;
}
