// The VJP of out (M, N) = a (M, K) @ b (K, N) + bias (N), in f64: the CPU twin of the backward
// matmuls. The f64 forward that finite differences differentiate is matmulF64 (../matmul.ts).

/** dA (M, K) = dY (M, N) · bᵀ: the gradient flowing back to the activations. */
export function matmulBackwardInputRef(dy: ArrayLike<number>, b: ArrayLike<number>, M: number, N: number, K: number): Float64Array {
  const da = new Float64Array(M * K);
  for (let m = 0; m < M; m++) {
    for (let k = 0; k < K; k++) {
      let acc = 0;
      for (let n = 0; n < N; n++) acc += dy[m * N + n] * b[k * N + n];
      da[m * K + k] = acc;
    }
  }
  return da;
}

/** dB (K, N) = aᵀ · dY and db (N) = Σ_m dY[m]: the weight and bias gradients. */
export function matmulBackwardWeightRef(dy: ArrayLike<number>, a: ArrayLike<number>, M: number, N: number, K: number): { dB: Float64Array; db: Float64Array } {
  const dB = new Float64Array(K * N);
  const db = new Float64Array(N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const g = dy[m * N + n];
      db[n] += g;
      for (let k = 0; k < K; k++) dB[k * N + n] += a[m * K + k] * g;
    }
  }
  return { dB, db };
}
