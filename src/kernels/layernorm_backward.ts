// The VJP of LayerNorm over rows of (T, C): the input's gradient (one workgroup per row, which
// also leaves each row's mean and rstd in `stats`), then the weight's and bias's from them.
import { f32, type Dispatch, type Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/**
 * dx (T, C) from dy (T, C), the forward's input x (T, C) and weight (C); stats (T, 2) gets (mean,
 * rstd). accumulate: dx += the gradient (a residual stream's), instead of dx = it.
 */
export function layernormBackward(
  gpu: Gpu,
  a: { dy: GPUBuffer; x: GPUBuffer; weight: GPUBuffer; dx: GPUBuffer; stats: GPUBuffer; T: number; C: number; eps: number; label?: string; threads?: number; accumulate?: boolean },
): Dispatch {
  const { T, C } = a;
  positiveInts('layernorm_backward', { T, C });
  for (const k of ['dy', 'x', 'dx'] as const) holds('layernorm_backward', k, a[k], T * C);
  holds('layernorm_backward', 'weight', a.weight, C);
  holds('layernorm_backward', 'stats', a.stats, 2 * T);
  return gpu.dispatch(
    gpu.reduceOp('layernorm_backward'),
    a.label ?? 'layernorm_backward',
    [gpu.params('layernorm_backward', [T, C, f32(a.eps), 0]), a.dy, a.x, a.weight, a.dx, a.stats],
    [T],
    { WG: a.threads ?? gpu.rowThreads, ACCUMULATE: a.accumulate ? 1 : 0 },
  );
}

/** dweight (C) = Σ_t dy * xhat and dbias (C) = Σ_t dy, with stats (T, 2) from layernormBackward. */
export function layernormBackwardParams(
  gpu: Gpu,
  a: { dy: GPUBuffer; x: GPUBuffer; stats: GPUBuffer; dweight: GPUBuffer; dbias: GPUBuffer; T: number; C: number; label?: string },
): Dispatch {
  const { T, C } = a;
  positiveInts('layernorm_backward_params', { T, C });
  holds('layernorm_backward_params', 'dy', a.dy, T * C);
  holds('layernorm_backward_params', 'x', a.x, T * C);
  holds('layernorm_backward_params', 'stats', a.stats, 2 * T);
  holds('layernorm_backward_params', 'dweight', a.dweight, C);
  holds('layernorm_backward_params', 'dbias', a.dbias, C);
  const params = gpu.params('layernorm_backward_params', [T, C, 0, 0]);
  return gpu.dispatch('layernorm_backward_params', a.label ?? 'layernorm_backward_params', [params, a.dy, a.x, a.stats, a.dweight, a.dbias], [Math.ceil(C / 64)]);
}
