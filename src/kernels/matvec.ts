import { whole, type GpuTensor } from '../gpu/buffers';
import { DTYPE_BYTES, type WeightDtype } from '../gpu/f16';
import { GPU_MIN_THREADS, type Dispatch, type Gpu } from '../gpu/gpu';
import { weightOp, type Constants } from '../gpu/pipelines';
import { holds, positiveInts } from './check';
import { EPILOGUE, type Epilogue } from './matmul';

const COLS4 = 16; // vec4 columns per workgroup (matvec.wgsl)

/**
 * How a (K, N) matvec is cut: thread rows per workgroup and K slices across workgroups. A CPU
 * adapter gets one slice and 4 rows (the fused single-dispatch kernel); a GPU gets 16 rows and
 * enough slices for GPU_MIN_THREADS threads, as long as each thread row keeps at least 2 k's.
 */
export function matvecLaunch(gpu: Gpu, N: number, K: number): { rows: number; splits: number; kSplit: number } {
  if (gpu.adapterClass === 'cpu') return { rows: 4, splits: 1, kSplit: K };
  const rows = 16;
  const perSplit = Math.ceil(N / 4 / COLS4) * COLS4 * rows;
  const want = Math.min(Math.ceil(GPU_MIN_THREADS / perSplit), Math.max(1, Math.floor(K / (2 * rows))));
  const kSplit = Math.ceil(K / want);
  return { rows, splits: Math.ceil(K / kSplit), kSplit };
}

/**
 * out (N) = x (K) @ w (K, N) + bias (N), then the epilogue. The decode-time (T = 1) matmul; w is
 * f32 or f16, in one part. One dispatch, or on a GPU a split-K dispatch writing partial sums to
 * the Gpu's scratch and matvec_reduce adding them with the bias and the epilogue.
 */
export function matvec(
  gpu: Gpu,
  a: {
    x: GPUBuffer; w: GpuTensor; bias: GPUBuffer; out: GPUBuffer; N: number; K: number;
    label?: string; epilogue?: Epilogue;
  },
): Dispatch[] {
  const { N, K } = a;
  const w = whole(a.w);
  positiveInts('matvec', { N, K });
  if (N % 4) throw new Error(`matvec: N=${N} must be a multiple of 4 (vec4 reads)`);
  holds('matvec', 'x', a.x, K);
  holds('matvec', 'w', w, K * N, DTYPE_BYTES[a.w.dtype]);
  holds('matvec', 'bias', a.bias, N);
  holds('matvec', 'out', a.out, N);
  const label = a.label ?? 'matvec';
  const { splits, kSplit } = matvecLaunch(gpu, N, K);
  const [main, reduce] = matvecPipelines(gpu, a.w.dtype, N, K, a.epilogue);
  const grid: [number, number] = [Math.ceil(N / 4 / COLS4), splits];
  const params = gpu.params('matvec', [N / 4, K, kSplit, 0]);
  if (!reduce) return [gpu.dispatch(main[0], label, [params, a.x, w, a.bias, a.out], grid, main[1])];
  const partials = gpu.partials(splits * N * 4);
  return [
    gpu.dispatch(main[0], label, [params, a.x, w, a.bias, partials], grid, main[1]),
    gpu.dispatch(reduce[0], `${label}.reduce`, [gpu.params('matvec_reduce', [N / 4, splits]), partials, a.bias, a.out], [Math.ceil(N / 256)], reduce[1]),
  ];
}

/** The pipelines (op, override constants) a matvec of this shape runs: one, or split-K and its reduction. */
export function matvecPipelines(gpu: Gpu, dtype: WeightDtype, N: number, K: number, epilogue: Epilogue = 'none'): Array<[string, Constants]> {
  const { rows, splits } = matvecLaunch(gpu, N, K);
  const op = weightOp('matvec', dtype);
  if (splits === 1) return [[op, { EPILOGUE: EPILOGUE[epilogue], ROWS: rows }]];
  return [[op, { ROWS: rows, PARTIAL: 1 }], ['matvec_reduce', { EPILOGUE: EPILOGUE[epilogue] }]];
}
