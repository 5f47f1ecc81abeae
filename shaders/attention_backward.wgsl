// The VJP of causal self-attention (prefill from position 0), part 1 of 2: per query.
// qkv (T, stride) holds NH q heads, then NKV k heads, then NKV v heads, HS wide each (GPT-2:
// NKV = NH, stride 3C; the decoder's fused layout: stride (NH + 2 NKV) HS). Query head h reads KV
// head h / (NH / NKV) (grouped-query). dout (T, NH HS). For query t of head h, over its keys j
// (t - W < j <= t with a sliding window W > 0, else j <= t):
//   a_j = q_t · k_j * scale,  s_j = cap tanh(a_j / cap) when cap > 0 (else a_j),  p = softmax(s)
//   dp_j = dout_t · v_j,  ds_j = p_j (dp_j - Σ_j' p_j' dp_j')   (the softmax's VJP)
//   da_j = ds_j (1 - tanh²(a_j / cap)) = ds_j (1 - (s_j / cap)²)   (the soft-cap's)
//   dq_t = scale Σ_j da_j k_j      -> written into dqkv's q heads
// p and da go to (NH, T, T) scratch for attention_backward_kv, which sums them over queries for
// dk and dv (a query-parallel pass cannot: many queries add into one key, and WGSL has no f32
// atomics). Entries outside a query's keys are left unwritten and never read.
// Threads: one (t, h) each, x over t, y over h. Plain loops: the readable baseline.

struct Params { T: u32, NH: u32, NKV: u32, HS: u32, stride: u32, window: u32, scale: f32, softcap: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;        // (T, stride)
@group(0) @binding(2) var<storage, read> dout: array<f32>;       // (T, NH HS)
@group(0) @binding(3) var<storage, read_write> dqkv: array<f32>; // (T, stride); this pass writes the q heads
@group(0) @binding(4) var<storage, read_write> probs: array<f32>; // (NH, T, T)
@group(0) @binding(5) var<storage, read_write> ds: array<f32>;    // (NH, T, T)

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let t = gid.x;
  let h = gid.y;
  if (t >= p.T || h >= p.NH) { return; }
  let D = p.NH * p.HS;
  let q = t * p.stride + h * p.HS;
  let kh = (h / (p.NH / p.NKV)) * p.HS;
  let ko = D + kh;                   // k of KV head kh in a row
  let vo = D + p.NKV * p.HS + kh;    // v of KV head kh
  let j0 = select(0u, t + 1u - min(t + 1u, p.window), p.window > 0u);
  let row = (h * p.T + t) * p.T;
  // s_j into probs, dp_j into ds; then p from s without overwriting s, which the soft-cap's
  // derivative needs in the last loop (exp is recomputed there: cheaper than a third array)
  var m = -3.0e38;
  for (var j = j0; j <= t; j++) {
    var d = 0.0;
    var dp = 0.0;
    for (var i = 0u; i < p.HS; i++) {
      d += qkv[q + i] * qkv[j * p.stride + ko + i];
      dp += dout[t * D + h * p.HS + i] * qkv[j * p.stride + vo + i];
    }
    var s = d * p.scale;
    if (p.softcap > 0.0) { s = p.softcap * tanh(s / p.softcap); }
    probs[row + j] = s;
    ds[row + j] = dp;
    m = max(m, s);
  }
  var z = 0.0;
  for (var j = j0; j <= t; j++) { z += exp(probs[row + j] - m); }
  var pdp = 0.0;
  for (var j = j0; j <= t; j++) { pdp += exp(probs[row + j] - m) / z * ds[row + j]; }
  for (var j = j0; j <= t; j++) {
    let s = probs[row + j];
    let pj = exp(s - m) / z;
    var f = 1.0;
    if (p.softcap > 0.0) { let c = s / p.softcap; f = 1.0 - c * c; }
    probs[row + j] = pj;
    ds[row + j] = pj * (ds[row + j] - pdp) * f;
  }
  for (var i = 0u; i < p.HS; i++) {
    var acc = 0.0;
    for (var j = j0; j <= t; j++) { acc += ds[row + j] * qkv[j * p.stride + ko + i]; }
    dqkv[q + i] = acc * p.scale;
  }
}
