// The VJPs of out (M, N) = a (M, K) @ b (K, N) + bias (N): two shaders, one per gradient.
import type { Dispatch, Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/** da (M, K) = dy (M, N) · bᵀ, b (K, N) an f32 weight stored [in, out]. Any M, N, K. */
export function matmulBackwardInput(gpu: Gpu, x: { dy: GPUBuffer; b: GPUBuffer; da: GPUBuffer; M: number; N: number; K: number; label?: string }): Dispatch {
  const { M, N, K } = x;
  positiveInts('matmul_backward_input', { M, N, K });
  holds('matmul_backward_input', 'dy', x.dy, M * N);
  holds('matmul_backward_input', 'b', x.b, K * N);
  holds('matmul_backward_input', 'da', x.da, M * K);
  const params = gpu.params('matmul_backward_input', [M, N, K, 0]);
  return gpu.dispatch('matmul_backward_input', x.label ?? 'matmul_backward_input', [params, x.dy, x.b, x.da], [Math.ceil(K / 16), Math.ceil(M / 16)]);
}

/** dw (K, N) = aᵀ · dy and dbias (N) = Σ_m dy[m], from a (M, K) and dy (M, N). Any M, N, K. */
export function matmulBackwardWeight(
  gpu: Gpu,
  x: { dy: GPUBuffer; a: GPUBuffer; dw: GPUBuffer; dbias: GPUBuffer; M: number; N: number; K: number; label?: string },
): Dispatch {
  const { M, N, K } = x;
  positiveInts('matmul_backward_weight', { M, N, K });
  holds('matmul_backward_weight', 'dy', x.dy, M * N);
  holds('matmul_backward_weight', 'a', x.a, M * K);
  holds('matmul_backward_weight', 'dw', x.dw, K * N);
  holds('matmul_backward_weight', 'dbias', x.dbias, N);
  const params = gpu.params('matmul_backward_weight', [M, N, K, 0]);
  return gpu.dispatch('matmul_backward_weight', x.label ?? 'matmul_backward_weight', [params, x.dy, x.a, x.dw, x.dbias], [Math.ceil(N / 16), Math.ceil(K / 16)]);
}
