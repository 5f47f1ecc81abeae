import { whole, type GpuTensor } from '../gpu/buffers';
import { DTYPE_BYTES } from '../gpu/f16';
import type { Dispatch, Gpu } from '../gpu/gpu';
import { weightOp } from '../gpu/pipelines';
import { holds, positiveInts } from './check';
import { EPILOGUE, type Epilogue } from './matmul';

/** out (N) = x (K) @ w (K, N) + bias (N), then the epilogue. The decode-time (T = 1) matmul; w is f32 or f16, in one part. */
export function matvec(
  gpu: Gpu,
  a: {
    x: GPUBuffer; w: GpuTensor; bias: GPUBuffer; out: GPUBuffer; N: number; K: number;
    label?: string; epilogue?: Epilogue;
  },
): Dispatch {
  const { N, K } = a;
  const w = whole(a.w);
  positiveInts('matvec', { N, K });
  if (N % 4) throw new Error(`matvec: N=${N} must be a multiple of 4 (vec4 reads)`);
  holds('matvec', 'x', a.x, K);
  holds('matvec', 'w', w, K * N, DTYPE_BYTES[a.w.dtype]);
  holds('matvec', 'bias', a.bias, N);
  holds('matvec', 'out', a.out, N);
  return gpu.dispatch(weightOp('matvec', a.w.dtype), a.label ?? 'matvec', [gpu.params('matvec', [N / 4, K]), a.x, w, a.bias, a.out], [Math.ceil(N / 64)], {
    EPILOGUE: EPILOGUE[a.epilogue ?? 'none'],
  });
}
