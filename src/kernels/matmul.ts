import { whole, type GpuTensor } from '../gpu/buffers';
import { DTYPE_BYTES, type WeightDtype } from '../gpu/f16';
import type { Dispatch, Gpu } from '../gpu/gpu';
import { weightOp, type Constants } from '../gpu/pipelines';
import { holds, positiveInts } from './check';

/** What a matmul fuses after itself: GELU, or adding into `out` (the residual stream). */
export type Epilogue = 'none' | 'gelu' | 'residual';
export const EPILOGUE = { none: 0, gelu: 1, residual: 2 } as const;

/**
 * out (M, N) = a (M, K) @ b (K, N) + bias (N), then the epilogue; K, N multiples of 4. For M > 1
 * (prefill). b is a weight tensor in one part, stored as f32 or f16. The shader variant follows
 * the Gpu's adapter class.
 */
export function matmul(
  gpu: Gpu,
  x: {
    a: GPUBuffer; b: GpuTensor; bias: GPUBuffer; out: GPUBuffer; M: number; N: number; K: number;
    label?: string; epilogue?: Epilogue;
  },
): Dispatch {
  const b = whole(x.b);
  const { M, N, K } = x;
  positiveInts('matmul', { M, N, K });
  if (N % 4 || K % 4) throw new Error(`matmul: N=${N} and K=${K} must be multiples of 4 (vec4 reads)`);
  holds('matmul', 'a', x.a, M * K);
  holds('matmul', 'b', b, K * N, DTYPE_BYTES[x.b.dtype]);
  holds('matmul', 'bias', x.bias, N);
  holds('matmul', 'out', x.out, M * N);
  const [op, constants] = matmulPipeline(gpu, x.b.dtype, x.epilogue);
  const grid: [number, number] = [Math.ceil(N / (gpu.adapterClass === 'gpu' ? 64 : 32)), Math.ceil(M / 32)];
  return gpu.dispatch(op, x.label ?? 'matmul', [gpu.params('matmul', [M, N, K, 0]), x.a, b, x.bias, x.out], grid, constants);
}

/**
 * CPU adapters: matmul.wgsl, 8x8 threads of 4x4 blocks (32x32 of out per workgroup, no tiling).
 * GPUs: matmul_tiled.wgsl, 16x16 threads of 2 rows x 4 columns (32x64) through workgroup memory.
 */
export function matmulPipeline(gpu: Gpu, dtype: WeightDtype, epilogue: Epilogue = 'none'): [string, Constants] {
  return [weightOp(gpu.adapterClass === 'gpu' ? 'matmul_tiled' : 'matmul', dtype), { EPILOGUE: EPILOGUE[epilogue] }];
}
