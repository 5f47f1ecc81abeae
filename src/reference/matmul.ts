/** out (M, N) = a (M, K) @ b (K, N) + bias (N), in f64: the backward twins' forward, and matmulRef before rounding. */
export function matmulF64(a: ArrayLike<number>, b: ArrayLike<number>, bias: ArrayLike<number> | null, M: number, N: number, K: number): Float64Array {
  const out = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let acc = bias ? bias[n] : 0;
      for (let k = 0; k < K; k++) acc += a[m * K + k] * b[k * N + n];
      out[m * N + n] = acc;
    }
  }
  return out;
}

/** out (M, N) = a (M, K) @ b (K, N) + bias (N); accumulates in f64. matvec is the M = 1 case. */
export function matmulRef(a: Float32Array, b: Float32Array, bias: Float32Array | null, M: number, N: number, K: number): Float32Array {
  return Float32Array.from(matmulF64(a, b, bias, M, N, K));
}
