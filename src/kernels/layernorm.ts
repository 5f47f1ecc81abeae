import { f32, type Dispatch, type Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/** out (T, C) = layernorm(inp (T, C)) * weight (C) + bias (C). */
export function layernorm(
  gpu: Gpu,
  a: { inp: GPUBuffer; weight: GPUBuffer; bias: GPUBuffer; out: GPUBuffer; T: number; C: number; eps: number; label?: string; threads?: number },
): Dispatch {
  const { T, C } = a;
  positiveInts('layernorm', { T, C });
  holds('layernorm', 'inp', a.inp, T * C);
  holds('layernorm', 'out', a.out, T * C);
  return gpu.dispatch(
    gpu.reduceOp('layernorm'),
    a.label ?? 'layernorm',
    [gpu.params('layernorm', [T, C, f32(a.eps), 0]), a.inp, a.weight, a.bias, a.out],
    [T],
    { WG: a.threads ?? gpu.rowThreads },
  );
}
