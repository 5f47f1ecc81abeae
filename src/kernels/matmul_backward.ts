// The VJPs of out (M, N) = a (M, K) @ b (K, N) + bias (N): two shaders, one per gradient.
import { whole, type GpuTensor } from '../gpu/buffers';
import { DTYPE_BYTES } from '../gpu/f16';
import type { Dispatch, Gpu } from '../gpu/gpu';
import { weightOp } from '../gpu/pipelines';
import { holds, positiveInts } from './check';

/**
 * da (M, K) = dy (M, N) · bᵀ, b (K, N) a weight stored [in, out]: a tensor in one part (f32 or
 * f16), or a plain f32 buffer. N a multiple of 4: 4x4 blocks of vec4 dot products
 * (matmul_backward_input_vec4.wgsl); else the plain loop (f32 only). Any M, K.
 */
export function matmulBackwardInput(
  gpu: Gpu, x: { dy: GPUBuffer; b: GPUBuffer | GpuTensor; da: GPUBuffer; M: number; N: number; K: number; label?: string },
): Dispatch {
  const { M, N, K } = x;
  positiveInts('matmul_backward_input', { M, N, K });
  const [b, dtype] = 'parts' in x.b ? [whole(x.b), x.b.dtype] : [x.b, 'f32' as const];
  holds('matmul_backward_input', 'dy', x.dy, M * N);
  holds('matmul_backward_input', 'b', b, K * N, DTYPE_BYTES[dtype]);
  holds('matmul_backward_input', 'da', x.da, M * K);
  const params = gpu.params('matmul_backward_input', [M, N, K, 0]);
  const label = x.label ?? 'matmul_backward_input';
  if (N % 4 === 0) return gpu.dispatch(weightOp('matmul_backward_input_vec4', dtype), label, [params, x.dy, b, x.da], [Math.ceil(K / 32), Math.ceil(M / 32)]);
  if (dtype !== 'f32') throw new Error(`matmul_backward_input: an ${dtype} weight needs N % 4 == 0, got N=${N}`);
  return gpu.dispatch('matmul_backward_input', label, [params, x.dy, b, x.da], [Math.ceil(K / 16), Math.ceil(M / 16)]);
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
