import { DTYPE_BYTES, type WeightDtype } from '../gpu/f16';
import type { Dispatch, Gpu } from '../gpu/gpu';
import { weightOp } from '../gpu/pipelines';
import { holds, positiveInts } from './check';
import { EPILOGUE, type Epilogue } from './matmul';

/** out (N) = x (K) @ w (K, N) + bias (N), then the epilogue. The decode-time (T = 1) matmul; w is stored as wDtype. */
export function matvec(
  gpu: Gpu,
  a: {
    x: GPUBuffer; w: GPUBuffer; bias: GPUBuffer; out: GPUBuffer; N: number; K: number;
    label?: string; epilogue?: Epilogue; wDtype?: WeightDtype;
  },
): Dispatch {
  const { N, K } = a;
  const wDtype = a.wDtype ?? 'f32';
  positiveInts('matvec', { N, K });
  if (N % 4) throw new Error(`matvec: N=${N} must be a multiple of 4 (vec4 reads)`);
  holds('matvec', 'x', a.x, K);
  holds('matvec', 'w', a.w, K * N, DTYPE_BYTES[wDtype]);
  holds('matvec', 'bias', a.bias, N);
  holds('matvec', 'out', a.out, N);
  return gpu.dispatch(weightOp('matvec', wDtype), a.label ?? 'matvec', [gpu.params('matvec', [N / 4, K]), a.x, a.w, a.bias, a.out], [Math.ceil(N / 64)], {
    EPILOGUE: EPILOGUE[a.epilogue ?? 'none'],
  });
}
