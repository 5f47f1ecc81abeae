import { grid1d, type Dispatch, type Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';
import type { GluAct } from './glu';

/** dgateUp (T, 2D) = (d gate | d up) of out = act(gate) * up, from dout (T, D) and the forward's gateUp (T, 2D). Any D. */
export function gluBackward(gpu: Gpu, a: { dout: GPUBuffer; gateUp: GPUBuffer; dgateUp: GPUBuffer; T: number; D: number; act: GluAct; label?: string }): Dispatch {
  const { T, D } = a;
  positiveInts('glu_backward', { T, D });
  holds('glu_backward', 'dout', a.dout, T * D);
  holds('glu_backward', 'gateUp', a.gateUp, T * 2 * D);
  holds('glu_backward', 'dgateUp', a.dgateUp, T * 2 * D);
  const { grid, row } = grid1d(T * D);
  return gpu.dispatch('glu_backward', a.label ?? 'glu_backward', [gpu.params('glu_backward', [T * D, D, row, 0]), a.dout, a.gateUp, a.dgateUp], grid, {
    ACT: a.act === 'silu' ? 1 : 0,
  });
}
