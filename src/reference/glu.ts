import type { GluAct } from '../kernels/glu';
import { geluRef } from './gelu';

/** out (T, D) = act(gate_up[:, :D]) * gate_up[:, D:], per row. */
export function gluRef(gateUp: Float32Array, T: number, D: number, act: GluAct): Float32Array {
  const out = new Float32Array(T * D);
  for (let t = 0; t < T; t++) {
    const g = gateUp.subarray(t * 2 * D, t * 2 * D + D);
    const a = act === 'silu' ? g.map((v) => v / (1 + Math.exp(-v))) : geluRef(g);
    for (let i = 0; i < D; i++) out[t * D + i] = a[i] * gateUp[t * 2 * D + D + i];
  }
  return out;
}
