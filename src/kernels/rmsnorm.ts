import { f32, type Dispatch, type Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

/**
 * out (T, C) = rmsnorm(inp (T, C)) * (offset + weight (C)), or out += that (addTo: Gemma's
 * post-attention and post-feedforward norms). offset 1 is Gemma's (1 + w).
 */
export function rmsnorm(
  gpu: Gpu,
  a: { inp: GPUBuffer; weight: GPUBuffer; out: GPUBuffer; T: number; C: number; eps: number; offset: 0 | 1; addTo?: boolean; label?: string; threads?: number },
): Dispatch {
  const { T, C } = a;
  positiveInts('rmsnorm', { T, C });
  holds('rmsnorm', 'inp', a.inp, T * C);
  holds('rmsnorm', 'weight', a.weight, C);
  holds('rmsnorm', 'out', a.out, T * C);
  return gpu.dispatch(
    gpu.reduceOp('rmsnorm'),
    a.label ?? 'rmsnorm',
    [gpu.params('rmsnorm', [T, C, f32(a.eps), 0]), a.inp, a.weight, a.out],
    [T],
    { WG: a.threads ?? gpu.rowThreads, OFFSET: a.offset, EPILOGUE: a.addTo ? 1 : 0 },
  );
}
