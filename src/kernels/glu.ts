import { grid1d, type Dispatch, type Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

export type GluAct = 'gelu_tanh' | 'silu';

/** out (T, D) = act(gate) * up, from the fused gate_up projection (T, 2D); D a multiple of 4. */
export function glu(gpu: Gpu, a: { gateUp: GPUBuffer; out: GPUBuffer; T: number; D: number; act: GluAct; label?: string }): Dispatch {
  const { T, D } = a;
  positiveInts('glu', { T, D });
  if (D % 4) throw new Error(`glu: D=${D} must be a multiple of 4 (vec4 threads)`);
  holds('glu', 'gateUp', a.gateUp, T * 2 * D);
  holds('glu', 'out', a.out, T * D);
  const { grid, row } = grid1d((T * D) / 4);
  return gpu.dispatch('glu', a.label ?? 'glu', [gpu.params('glu', [(T * D) / 4, D / 4, row, 0]), a.gateUp, a.out], grid, { ACT: a.act === 'silu' ? 1 : 0 });
}
