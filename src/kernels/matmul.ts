import { DTYPE_BYTES, type WeightDtype } from '../gpu/f16';
import type { Dispatch, Gpu } from '../gpu/gpu';
import { weightOp } from '../gpu/pipelines';
import { holds, positiveInts } from './check';

/** What a matmul fuses after itself: GELU, or adding into `out` (the residual stream). */
export type Epilogue = 'none' | 'gelu' | 'residual';
export const EPILOGUE = { none: 0, gelu: 1, residual: 2 } as const;

/**
 * out (M, N) = a (M, K) @ b (K, N) + bias (N), then the epilogue; K, N multiples of 4. For M > 1
 * (prefill). b is stored as bDtype (f32 unless told).
 */
export function matmul(
  gpu: Gpu,
  x: {
    a: GPUBuffer; b: GPUBuffer; bias: GPUBuffer; out: GPUBuffer; M: number; N: number; K: number;
    label?: string; epilogue?: Epilogue; bDtype?: WeightDtype;
  },
): Dispatch {
  const bDtype = x.bDtype ?? 'f32';
  const { M, N, K } = x;
  positiveInts('matmul', { M, N, K });
  if (N % 4 || K % 4) throw new Error(`matmul: N=${N} and K=${K} must be multiples of 4 (vec4 reads)`);
  holds('matmul', 'a', x.a, M * K);
  holds('matmul', 'b', x.b, K * N, DTYPE_BYTES[bDtype]);
  holds('matmul', 'bias', x.bias, N);
  holds('matmul', 'out', x.out, M * N);
  return gpu.dispatch(
    weightOp('matmul', bDtype),
    x.label ?? 'matmul',
    [gpu.params('matmul', [M, N, K, 0]), x.a, x.b, x.bias, x.out],
    [Math.ceil(N / 32), Math.ceil(M / 32)],
    { EPILOGUE: EPILOGUE[x.epilogue ?? 'none'] },
  );
}
