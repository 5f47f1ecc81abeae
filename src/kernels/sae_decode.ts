import type { Dispatch, Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/** x_hat (T, C) = (f (T, S) @ W_dec (S, C) + b_dec) * stats[t].x + stats[t].y, reading only non-zero features. */
export function saeDecode(
  gpu: Gpu,
  a: { f: GPUBuffer; wDec: GPUBuffer; bDec: GPUBuffer; stats: GPUBuffer; xHat: GPUBuffer; T: number; S: number; C: number },
): Dispatch {
  const { T, S, C } = a;
  positiveInts('sae_decode', { T, S, C });
  holds('sae_decode', 'f', a.f, T * S);
  holds('sae_decode', 'wDec', a.wDec, S * C);
  holds('sae_decode', 'stats', a.stats, T * 2);
  holds('sae_decode', 'xHat', a.xHat, T * C);
  return gpu.dispatch('sae_decode', 'sae_decode', [gpu.params('sae_decode', [S, C]), a.f, a.wDec, a.bDec, a.stats, a.xHat], [
    T,
    Math.ceil(C / 1024),
  ]);
}
