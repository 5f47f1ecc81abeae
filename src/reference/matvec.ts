import { matmulRef } from './matmul';

/** out (N) = x (K) @ w (K, N) + bias (N). */
export function matvecRef(x: Float32Array, w: Float32Array, bias: Float32Array, N: number, K: number): Float32Array {
  return matmulRef(x, w, bias, 1, N, K);
}
