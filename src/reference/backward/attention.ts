// The VJP of GPT-2's causal multi-head self-attention (prefill from position 0), in f64.
// qkv (T, 3C) holds q | k | v, head h at columns h * HS of each third; out (T, C).
//   s[t, j] = q_t · k_j * scale (j <= t), p = softmax_j(s), out_t = Σ_j p[t, j] v_j
// Backward, per head:
//   dv_j += p[t, j] dout_t;  dp[t, j] = dout_t · v_j
//   ds[t, j] = p[t, j] (dp[t, j] - Σ_j' p[t, j'] dp[t, j'])      (softmax)
//   dq_t += scale Σ_j ds[t, j] k_j;  dk_j += scale ds[t, j] q_t

export interface AttentionShape {
  T: number;
  NH: number;
  HS: number;
  /** GPT-2: 1 / sqrt(HS). */
  scale: number;
}

/** The probabilities p (T, T) of head h (zero above the diagonal). */
function probs(qkv: ArrayLike<number>, h: number, { T, NH, HS, scale }: AttentionShape): Float64Array {
  const C = NH * HS;
  const p = new Float64Array(T * T);
  for (let t = 0; t < T; t++) {
    let m = -Infinity;
    for (let j = 0; j <= t; j++) {
      let d = 0;
      for (let i = 0; i < HS; i++) d += qkv[t * 3 * C + h * HS + i] * qkv[j * 3 * C + C + h * HS + i];
      p[t * T + j] = d * scale;
      m = Math.max(m, d * scale);
    }
    let z = 0;
    for (let j = 0; j <= t; j++) z += p[t * T + j] = Math.exp(p[t * T + j] - m);
    for (let j = 0; j <= t; j++) p[t * T + j] /= z;
  }
  return p;
}

/** out (T, C), in f64 (attentionRef's arithmetic for GPT-2 prefill). */
export function attentionF64(qkv: ArrayLike<number>, a: AttentionShape): Float64Array {
  const { T, NH, HS } = a;
  const C = NH * HS;
  const out = new Float64Array(T * C);
  for (let h = 0; h < NH; h++) {
    const p = probs(qkv, h, a);
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < HS; i++) {
        let acc = 0;
        for (let j = 0; j <= t; j++) acc += p[t * T + j] * qkv[j * 3 * C + 2 * C + h * HS + i];
        out[t * C + h * HS + i] = acc;
      }
    }
  }
  return out;
}

/** dqkv (T, 3C) from dout (T, C) and the forward's qkv (T, 3C). */
export function attentionBackwardRef(dout: ArrayLike<number>, qkv: ArrayLike<number>, a: AttentionShape): Float64Array {
  const { T, NH, HS, scale } = a;
  const C = NH * HS;
  const dqkv = new Float64Array(T * 3 * C);
  const q = (t: number, h: number) => t * 3 * C + h * HS;
  const k = (t: number, h: number) => t * 3 * C + C + h * HS;
  const v = (t: number, h: number) => t * 3 * C + 2 * C + h * HS;
  for (let h = 0; h < NH; h++) {
    const p = probs(qkv, h, a);
    for (let t = 0; t < T; t++) {
      const dp = new Float64Array(t + 1);
      let pdp = 0;
      for (let j = 0; j <= t; j++) {
        let d = 0;
        for (let i = 0; i < HS; i++) {
          d += dout[t * C + h * HS + i] * qkv[v(j, h) + i];
          dqkv[v(j, h) + i] += p[t * T + j] * dout[t * C + h * HS + i];
        }
        dp[j] = d;
        pdp += p[t * T + j] * d;
      }
      for (let j = 0; j <= t; j++) {
        const ds = p[t * T + j] * (dp[j] - pdp) * scale;
        for (let i = 0; i < HS; i++) {
          dqkv[q(t, h) + i] += ds * qkv[k(j, h) + i];
          dqkv[k(j, h) + i] += ds * qkv[q(t, h) + i];
        }
      }
    }
  }
  return dqkv;
}
