// The VJP of causal multi-head self-attention (prefill from position 0), in f64.
// qkv (T, stride) holds NH q heads, then NKV k heads, then NKV v heads, HS each (GPT-2: NKV = NH,
// stride 3C); query head h reads KV head h / (NH / NKV). out (T, NH HS). Query t sees keys j <= t,
// and with a sliding window W > 0 only t - W < j.
//   a[t, j] = q_t · k_j * scale,  s = cap tanh(a / cap) (cap > 0; else s = a),  p = softmax_j(s)
//   out_t = Σ_j p[t, j] v_j
// Backward, per head:
//   dv_j += p[t, j] dout_t;  dp[t, j] = dout_t · v_j
//   ds[t, j] = p[t, j] (dp[t, j] - Σ_j' p[t, j'] dp[t, j'])      (softmax)
//   da[t, j] = ds[t, j] (1 - tanh²(a / cap))                       (soft-cap)
//   dq_t += scale Σ_j da[t, j] k_j;  dk_j += scale da[t, j] q_t

export interface AttentionShape {
  T: number;
  NH: number;
  HS: number;
  /** GPT-2: 1 / sqrt(HS). */
  scale: number;
  /** KV heads (default NH) */
  NKV?: number;
  /** row width of qkv (default (NH + 2 NKV) HS) */
  stride?: number;
  /** sliding window, 0 = none */
  window?: number;
  /** score soft-cap, 0 = none */
  softcap?: number;
}

function layout(a: AttentionShape) {
  const NKV = a.NKV ?? a.NH;
  const stride = a.stride ?? (a.NH + 2 * NKV) * a.HS;
  const D = a.NH * a.HS;
  const group = a.NH / NKV;
  return {
    stride,
    q: (t: number, h: number) => t * stride + h * a.HS,
    k: (t: number, h: number) => t * stride + D + Math.floor(h / group) * a.HS,
    v: (t: number, h: number) => t * stride + D + (NKV + Math.floor(h / group)) * a.HS,
    first: (t: number) => (a.window ? Math.max(0, t - a.window + 1) : 0),
  };
}

/** The probabilities p (T, T) of head h (zero outside each query's keys) and 1 - tanh² of its scores (1 without a cap). */
function probs(qkv: ArrayLike<number>, h: number, a: AttentionShape): { p: Float64Array; dcap: Float64Array } {
  const { T, HS, scale } = a;
  const cap = a.softcap ?? 0;
  const { q, k, first } = layout(a);
  const p = new Float64Array(T * T);
  const dcap = new Float64Array(T * T);
  for (let t = 0; t < T; t++) {
    let m = -Infinity;
    for (let j = first(t); j <= t; j++) {
      let d = 0;
      for (let i = 0; i < HS; i++) d += qkv[q(t, h) + i] * qkv[k(j, h) + i];
      let s = d * scale;
      dcap[t * T + j] = 1;
      if (cap > 0) {
        const th = Math.tanh(s / cap);
        s = cap * th;
        dcap[t * T + j] = 1 - th * th;
      }
      p[t * T + j] = s;
      m = Math.max(m, s);
    }
    let z = 0;
    for (let j = first(t); j <= t; j++) z += p[t * T + j] = Math.exp(p[t * T + j] - m);
    for (let j = first(t); j <= t; j++) p[t * T + j] /= z;
  }
  return { p, dcap };
}

/** out (T, NH HS), in f64 (attentionRef's arithmetic for prefill). */
export function attentionF64(qkv: ArrayLike<number>, a: AttentionShape): Float64Array {
  const { T, NH, HS } = a;
  const { v, first } = layout(a);
  const D = NH * HS;
  const out = new Float64Array(T * D);
  for (let h = 0; h < NH; h++) {
    const { p } = probs(qkv, h, a);
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < HS; i++) {
        let acc = 0;
        for (let j = first(t); j <= t; j++) acc += p[t * T + j] * qkv[v(j, h) + i];
        out[t * D + h * HS + i] = acc;
      }
    }
  }
  return out;
}

/** dqkv (T, stride) from dout (T, NH HS) and the forward's qkv (T, stride). */
export function attentionBackwardRef(dout: ArrayLike<number>, qkv: ArrayLike<number>, a: AttentionShape): Float64Array {
  const { T, NH, HS, scale } = a;
  const { stride, q, k, v, first } = layout(a);
  const D = NH * HS;
  const dqkv = new Float64Array(T * stride);
  for (let h = 0; h < NH; h++) {
    const { p, dcap } = probs(qkv, h, a);
    for (let t = 0; t < T; t++) {
      const dp = new Float64Array(t + 1);
      let pdp = 0;
      for (let j = first(t); j <= t; j++) {
        let d = 0;
        for (let i = 0; i < HS; i++) {
          d += dout[t * D + h * HS + i] * qkv[v(j, h) + i];
          dqkv[v(j, h) + i] += p[t * T + j] * dout[t * D + h * HS + i];
        }
        dp[j] = d;
        pdp += p[t * T + j] * d;
      }
      for (let j = first(t); j <= t; j++) {
        const da = p[t * T + j] * (dp[j] - pdp) * dcap[t * T + j] * scale;
        for (let i = 0; i < HS; i++) {
          dqkv[q(t, h) + i] += da * qkv[k(j, h) + i];
          dqkv[k(j, h) + i] += da * qkv[q(t, h) + i];
        }
      }
    }
  }
  return dqkv;
}
