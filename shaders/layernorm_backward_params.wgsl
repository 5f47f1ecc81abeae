// The VJP of LayerNorm w.r.t. its weight and bias, summed over the rows of (T, C):
//   dweight[c] = Σ_t dy[t, c] * xhat[t, c],  dbias[c] = Σ_t dy[t, c]
// with xhat from the per-row (mean, rstd) that layernorm_backward wrote to `stats`.
// Threads: one column c each (adjacent threads, adjacent columns); fixed summation order.

struct Params { T: u32, C: u32, _a: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;            // (T, C)
@group(0) @binding(2) var<storage, read> x: array<f32>;             // (T, C) the forward's input
@group(0) @binding(3) var<storage, read> stats: array<f32>;         // (T, 2) mean, rstd
@group(0) @binding(4) var<storage, read_write> dweight: array<f32>; // (C)
@group(0) @binding(5) var<storage, read_write> dbias: array<f32>;   // (C)

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= p.C) { return; }
  var dw = 0.0;
  var db = 0.0;
  for (var t = 0u; t < p.T; t++) {
    let g = dy[t * p.C + c];
    dw += g * (x[t * p.C + c] - stats[2u * t]) * stats[2u * t + 1u];
    db += g;
  }
  dweight[c] = dw;
  dbias[c] = db;
}
