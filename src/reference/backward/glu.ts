// The VJP of the gated MLP activation out (T, D) = act(gate) * up, gate | up side by side in one
// row of (T, 2D) (the forward: src/reference/glu.ts), in f64:
//   d gate = dout * up * act'(gate),  d up = dout * act(gate)
//   GeGLU (gelu_tanh): act and act' as ./gelu.ts;  SwiGLU (silu): act = g σ(g), act' = σ (1 + g (1 - σ))
import type { GluAct } from '../../kernels/glu';
import { geluBackwardRef, geluF64 } from './gelu';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

function act(g: number, kind: GluAct): { a: number; da: number } {
  if (kind === 'silu') {
    const s = sigmoid(g);
    return { a: g * s, da: s * (1 + g * (1 - s)) };
  }
  return { a: geluF64([g])[0], da: geluBackwardRef([1], [g])[0] };
}

/** out (T, D), in f64. */
export function gluF64(gateUp: ArrayLike<number>, T: number, D: number, kind: GluAct): Float64Array {
  const out = new Float64Array(T * D);
  for (let t = 0; t < T; t++) for (let i = 0; i < D; i++) out[t * D + i] = act(gateUp[t * 2 * D + i], kind).a * gateUp[t * 2 * D + D + i];
  return out;
}

/** d gateUp (T, 2D) from dout (T, D) and the forward's gateUp (T, 2D). */
export function gluBackwardRef(dout: ArrayLike<number>, gateUp: ArrayLike<number>, T: number, D: number, kind: GluAct): Float64Array {
  const d = new Float64Array(T * 2 * D);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < D; i++) {
      const g = t * 2 * D + i;
      const { a, da } = act(gateUp[g], kind);
      d[g] = dout[t * D + i] * gateUp[g + D] * da;
      d[g + D] = dout[t * D + i] * a;
    }
  }
  return d;
}
