// The VJP of GELU, tanh approximation (GPT-2 "gelu_new", as src/reference/gelu.ts), in f64.
//   u = k (x + 0.044715 x³), k = sqrt(2 / π); y = 0.5 x (1 + tanh u)
//   dy/dx = 0.5 (1 + tanh u) + 0.5 x (1 - tanh² u) k (1 + 3 · 0.044715 x²)

const K = Math.sqrt(2 / Math.PI);

export function geluF64(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v) => 0.5 * v * (1 + Math.tanh(K * (v + 0.044715 * v ** 3))));
}

/** dx = dy * gelu'(x), elementwise; x is the forward's input. */
export function geluBackwardRef(dy: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const th = Math.tanh(K * (v + 0.044715 * v ** 3));
    dx[i] = dy[i] * (0.5 * (1 + th) + 0.5 * v * (1 - th * th) * K * (1 + 3 * 0.044715 * v * v));
  }
  return dx;
}
