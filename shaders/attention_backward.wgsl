// The VJP of GPT-2's causal self-attention (prefill from position 0), part 1 of 2: per query.
// qkv (T, 3C) holds q | k | v, head h at columns h * HS of each third; dout (T, C).
// For query t of head h, with s_j = q_t · k_j * scale (j <= t), p = softmax(s):
//   dp_j = dout_t · v_j,  ds_j = p_j (dp_j - Σ_j' p_j' dp_j')   (the softmax's VJP)
//   dq_t = scale Σ_j ds_j k_j      -> written into dqkv's q third
// p and ds go to (NH, T, T) scratch for attention_backward_kv, which sums them over queries
// for dk and dv (a query-parallel pass cannot: many queries add into one key, and WGSL has no
// f32 atomics). Entries above the diagonal are left unwritten and never read.
// Threads: one (t, h) each, x over t, y over h. Plain loops: the readable baseline.

struct Params { T: u32, NH: u32, HS: u32, scale: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;        // (T, 3C)
@group(0) @binding(2) var<storage, read> dout: array<f32>;       // (T, C)
@group(0) @binding(3) var<storage, read_write> dqkv: array<f32>; // (T, 3C); this pass writes q's third
@group(0) @binding(4) var<storage, read_write> probs: array<f32>; // (NH, T, T)
@group(0) @binding(5) var<storage, read_write> ds: array<f32>;    // (NH, T, T)

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let t = gid.x;
  let h = gid.y;
  if (t >= p.T || h >= p.NH) { return; }
  let C = p.NH * p.HS;
  let q = t * 3u * C + h * p.HS;
  let row = (h * p.T + t) * p.T;
  var m = -3.0e38;
  for (var j = 0u; j <= t; j++) {
    var d = 0.0;
    for (var i = 0u; i < p.HS; i++) { d += qkv[q + i] * qkv[j * 3u * C + C + h * p.HS + i]; }
    probs[row + j] = d * p.scale;
    m = max(m, d * p.scale);
  }
  var z = 0.0;
  for (var j = 0u; j <= t; j++) { let e = exp(probs[row + j] - m); probs[row + j] = e; z += e; }
  var pdp = 0.0;
  for (var j = 0u; j <= t; j++) {
    let pj = probs[row + j] / z;
    probs[row + j] = pj;
    var d = 0.0;
    for (var i = 0u; i < p.HS; i++) { d += dout[t * C + h * p.HS + i] * qkv[j * 3u * C + 2u * C + h * p.HS + i]; }
    ds[row + j] = d; // dp_j for now
    pdp += pj * d;
  }
  for (var j = 0u; j <= t; j++) { ds[row + j] = probs[row + j] * (ds[row + j] - pdp); }
  for (var i = 0u; i < p.HS; i++) {
    var acc = 0.0;
    for (var j = 0u; j <= t; j++) { acc += ds[row + j] * qkv[j * 3u * C + C + h * p.HS + i]; }
    dqkv[q + i] = acc * p.scale;
  }
}
