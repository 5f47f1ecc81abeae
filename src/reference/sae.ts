// The whole SAE on the CPU, composed from the kernels' twins: tests only.
import type { SaeConfig, SaeWeights } from '../sae/formats';
import { matmulRef } from './matmul';
import { saeDecodeRef } from './sae_decode';
import { saeEncodeRef } from './sae_encode';
import { saeErrorRef } from './sae_error';
import { saeNormRef } from './sae_norm';
import { saeTopkRef, topkMaskRef } from './sae_topk';

/** Feature activations f (T, S), top-K per token, x_hat and the error, from the residual x (T, C). */
export function saeRef(cfg: SaeConfig, w: SaeWeights, x: Float32Array, T: number, K: number) {
  const { dIn: C, dSae: S } = cfg;
  const g = (n: string) => w.get(n)!;
  const { xSae, xIn, stats } = saeNormRef(x, g('b_dec'), T, C, {
    center: cfg.centerWritingWeights,
    norm: cfg.normalizeActivations,
    applyBDec: cfg.applyBDecToInput,
    scale: cfg.normScalingFactor ?? 1,
  });
  const gated = cfg.architecture === 'gated';
  const pre = matmulRef(xIn, g('W_enc'), g(gated ? 'b_gate' : 'b_enc'), T, S, C);
  const aux = new Float32Array(4 * S);
  if (cfg.architecture === 'jumprelu') aux.set(g('threshold'));
  if (gated) {
    aux.set(g('b_gate'), 0);
    aux.set(g('r_mag'), S);
    aux.set(g('b_mag'), 2 * S);
  }
  let f = saeEncodeRef(pre, aux, S, cfg.architecture);
  if (cfg.architecture === 'topk') f = topkMaskRef(f, T, S, cfg.k!);
  const top = saeTopkRef(f, T, S, K);
  const xHat = saeDecodeRef(f, g('W_dec'), g('b_dec'), stats, T, S, C);
  return { f, stats, xSae, xHat, top, err: saeErrorRef(xSae, xHat, T, C) };
}
