import { gpt2Qkv, type QkvLayout } from '../kernels/kv_append';

/** Writes the k and v parts of qkv (T, stride) into rows pos0.. of the caches (n_ctx, width), in place. */
export function kvAppendRef(
  qkv: Float32Array, kCache: Float32Array, vCache: Float32Array, T: number, C: number, pos0: number, layout: QkvLayout = gpt2Qkv(C),
): void {
  const { width: W, stride, kOffset } = layout;
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < W; c++) {
      kCache[(pos0 + t) * W + c] = qkv[t * stride + kOffset + c];
      vCache[(pos0 + t) * W + c] = qkv[t * stride + kOffset + W + c];
    }
  }
}
