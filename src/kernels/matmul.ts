import { whole, type GpuTensor } from '../gpu/buffers';
import { DTYPE_BYTES } from '../gpu/f16';
import type { Dispatch, Gpu } from '../gpu/gpu';
import { weightOp } from '../gpu/pipelines';
import { holds, positiveInts } from './check';

/** What a matmul fuses after itself: GELU, or adding into `out` (the residual stream). */
export type Epilogue = 'none' | 'gelu' | 'residual';
export const EPILOGUE = { none: 0, gelu: 1, residual: 2 } as const;

/**
 * out (M, N) = a (M, K) @ b (K, N) + bias (N), then the epilogue; K, N multiples of 4. For M > 1
 * (prefill). b is a weight tensor in one part, stored as f32 or f16.
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
  return gpu.dispatch(
    weightOp('matmul', x.b.dtype),
    x.label ?? 'matmul',
    [gpu.params('matmul', [M, N, K, 0]), x.a, b, x.bias, x.out],
    [Math.ceil(N / 32), Math.ceil(M / 32)],
    { EPILOGUE: EPILOGUE[x.epilogue ?? 'none'] },
  );
}
