// SAE input preparation, one workgroup per token t, from the residual at the SAE's hook:
//   x_sae = x - mean(x) when CENTER (TransformerLens center_writing_weights), else x
//   x_n   = norm(x_sae), by NORM:
//     0 none
//     1 constant_norm_rescale: x * sqrt(C) / |x|
//     2 layer_norm:            (x - mu) / (std + eps), std unbiased (as torch.std), eps 1e-5
//     3 constant scale s:      x * s (expected_average_only_in with its norm_scaling_factor)
//   x_in  = x_n - b_dec * apply_b_dec_to_input
//   stats = (dec_scale, dec_shift) so that denorm(y) = y * dec_scale + dec_shift
// x_sae is kept: the reconstruction error is measured in that space.

struct Params { C: u32, apply_b_dec: u32, scale: f32, eps: f32 }

override CENTER: bool = false;
override NORM: u32 = 0u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;                // (T, C) residual
@group(0) @binding(2) var<storage, read> b_dec: array<f32>;            // (C)
@group(0) @binding(3) var<storage, read_write> x_sae: array<f32>;      // (T, C)
@group(0) @binding(4) var<storage, read_write> x_in: array<f32>;       // (T, C)
@group(0) @binding(5) var<storage, read_write> stats: array<vec2<f32>>; // (T)

const WG: u32 = 64u;
#include "common/reduce.wgsl"

@compute @workgroup_size(WG, 1, 1)
fn main(l: Lanes, @builtin(workgroup_id) wid: vec3u) {
  let lid = l.lid.x;
  let t = wid.x;
  let base = t * p.C;
  let n = f32(p.C);
  var s = 0.0;
  for (var c = lid; c < p.C; c += WG) { s += x[base + c]; }
  let shift = select(0.0, reduce_sum(l, s) / n, CENTER);
  for (var c = lid; c < p.C; c += WG) { x_sae[base + c] = x[base + c] - shift; }
  // x_sae is read back below only by the thread that wrote each element: no barrier needed.

  var mu = 0.0;
  var mul = 1.0;        // x_n = (x_sae - mu) * mul
  var st = vec2<f32>(1.0, 0.0);
  if (NORM == 1u) {
    var q = 0.0;
    for (var c = lid; c < p.C; c += WG) { let v = x_sae[base + c]; q += v * v; }
    mul = sqrt(n) / sqrt(reduce_sum(l, q));
    st = vec2<f32>(1.0 / mul, 0.0);
  } else if (NORM == 2u) {
    var m = 0.0;
    for (var c = lid; c < p.C; c += WG) { m += x_sae[base + c]; }
    mu = reduce_sum(l, m) / n;
    var q = 0.0;
    for (var c = lid; c < p.C; c += WG) { let d = x_sae[base + c] - mu; q += d * d; }
    let sd = sqrt(reduce_sum(l, q) / (n - 1.0));
    mul = 1.0 / (sd + p.eps);
    st = vec2<f32>(sd, mu);
  } else if (NORM == 3u) {
    mul = p.scale;
    st = vec2<f32>(1.0 / p.scale, 0.0);
  }
  let bd = select(0.0, 1.0, p.apply_b_dec != 0u);
  for (var c = lid; c < p.C; c += WG) {
    x_in[base + c] = (x_sae[base + c] - mu) * mul - bd * b_dec[c];
  }
  if (lid == 0u) { stats[t] = st; }
}
