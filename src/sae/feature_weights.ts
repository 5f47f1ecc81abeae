// What a feature is, read from the weights alone (no dataset): the tokens its decoder direction
// promotes and suppresses through the unembedding, and the features whose decoder directions lie
// nearest. On demand, for one feature, on the GPU; only V + S + C floats are read back and the
// top k are picked on the CPU.
//
// Definitions, as Neuronpedia's dashboards show them:
// - Logits (SAEDashboard's logits table, jbloomAus/SAEDashboard sae_vis_runner.py and
//   neuronpedia_runner.py: the SAE gets fold_W_dec_norm(), the model is loaded
//   from_pretrained_no_processing, and logits = W_dec[i] @ model.W_U, or lm_head.weight.T for a
//   Hugging Face model): logit[v] = W_U[v] . W_dec[i] / |W_dec[i]|. W_U is the raw unembedding
//   (GPT-2's tied wte; the modern decoder's lm_head, or its embedding when tied, without Gemma's
//   sqrt(C) input scale): the final LayerNorm/RMSNorm is not folded in, b_dec plays no part and no
//   final-logit soft-cap is applied. Values are logits per unit of residual along the feature.
// - Neighbours (Neuronpedia's inference server, endpoints/util/sae_topk_by_decoder_cossim.py):
//   cos(W_dec[i], W_dec[j]) = W_dec[i] . W_dec[j] / max(|W_dec[i]| |W_dec[j]|, 1e-8), the raw
//   decoder rows, top k; here without feature i itself.
// The SAE's input normalization (constant_norm_rescale, layer_norm, expected_average_only_in)
// and TransformerLens centring do not change these: decode writes f_i W_dec[i] scaled by a
// positive per-token factor (plus a shift along all-ones for layer_norm that is no feature's),
// so the direction is W_dec[i] whatever the scale; cosine is scale-free and the logits are taken
// per unit length. A feature whose decoder row is zero has no direction: it gets empty lists.
import { createBuffer, readBuffer, type GpuTensor } from '../gpu/buffers';
import type { Gpu, Step } from '../gpu/gpu';
import { logits as logitsOp } from '../kernels/logits';
import { rowCosine } from '../kernels/row_cosine';

/** The most entries featureWeights returns per list (Neuronpedia's cosine endpoint caps at 128). */
export const MAX_FEATURE_WEIGHTS_K = 100;

export interface Ranked {
  id: number;
  value: number;
}

export interface FeatureWeightsRaw {
  /** |W_dec[feature]|. */
  norm: number;
  /** The k largest logits per unit length of W_dec[feature], largest first. */
  top: Ranked[];
  /** The k smallest, most negative first. */
  bottom: Ranked[];
  /** The k largest decoder cosines with other features, largest first. */
  neighbours: Ranked[];
}

/**
 * Logits and neighbours of `feature`. wDec: W_dec (S, C), f32. unembed: W_U as (V, C) rows (f32
 * or f16, possibly split in row parts), as the model's LM head reads it.
 */
export async function featureWeights(
  gpu: Gpu,
  a: { wDec: GPUBuffer; unembed: GpuTensor; S: number; C: number; V: number; feature: number; k: number },
): Promise<FeatureWeightsRaw> {
  const { device } = gpu;
  const { wDec, S, C, V, feature, k } = a;
  const out = createBuffer(device, 'feature weights (V + S + C)', (V + S + C) * 4); // logits | cosines | W_dec[feature]
  const cos = createBuffer(device, 'decoder cosine (S)', S * 4);
  const steps: Step[] = [
    // W_dec's row `feature` is the (1, C) input of the LM head kernel, read in place
    ...logitsOp(gpu, { x: wDec, wte: a.unembed, out, row0: feature, R: 1, C, V }).map((d) => ({ ...d, label: 'feature logits' })),
    rowCosine(gpu, { w: wDec, out: cos, S, C, q: feature, label: 'decoder cosine' }),
    gpu.copy('decoder cosine', cos, out, S * 4, 0, V * 4),
    gpu.copy('W_dec[feature]', wDec, out, C * 4, feature * C * 4, (V + S) * 4),
  ];
  try {
    gpu.run(steps, 'featureWeights');
    const all = new Float32Array(await readBuffer(device, out));
    const row = all.subarray(V + S, V + S + C);
    let n2 = 0;
    for (let c = 0; c < C; c++) n2 += row[c] * row[c];
    const norm = Math.sqrt(n2);
    if (!(norm > 0)) return { norm: 0, top: [], bottom: [], neighbours: [] };
    const logits = all.subarray(0, V);
    const perUnit = (r: Ranked) => ({ id: r.id, value: r.value / norm });
    return {
      norm,
      top: topK(logits, k, true).map(perUnit),
      bottom: topK(logits, k, false).map(perUnit),
      neighbours: topK(all.subarray(V, V + S), k, true, feature),
    };
  } finally {
    gpu.release(steps);
    out.destroy();
    cos.destroy();
  }
}

/**
 * The k largest values by (value desc, id asc), or with largest = false the k smallest by
 * (value asc, id asc), leaving out index `skip` and NaNs. One pass, an insertion into k sorted slots.
 */
export function topK(values: ArrayLike<number>, k: number, largest: boolean, skip = -1): Ranked[] {
  const ids: number[] = [];
  const keys: number[] = []; // sorted descending: the value, negated when looking for the smallest
  for (let i = 0; i < values.length; i++) {
    const v = largest ? values[i] : -values[i];
    if (i === skip || v !== v) continue;
    if (ids.length === k && !(v > keys[k - 1])) continue; // an equal value keeps the lower id
    let j = Math.min(ids.length, k - 1);
    while (j > 0 && keys[j - 1] < v) {
      keys[j] = keys[j - 1];
      ids[j] = ids[j - 1];
      j--;
    }
    keys[j] = v;
    ids[j] = i;
  }
  return ids.map((id, j) => ({ id, value: largest ? keys[j] : -keys[j] }));
}
