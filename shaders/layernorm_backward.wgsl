// The VJP of LayerNorm w.r.t. its input, per row t of (T, C):
//   xhat = (x - mean) * rstd, dxhat = dy * weight
//   dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
// mean and rstd are recomputed from x as the forward does (two passes, no E[x²] - E[x]²).
// Each row's (mean, rstd) goes to `stats` for layernorm_backward_params (weight and bias grads).
// ACCUMULATE adds into dx instead of overwriting it: the residual stream's gradient already
// there (llm.c's layernorm_backward does the same), which saves an add kernel.
// One workgroup per row t; WG threads stride over C; sums through common/reduce.wgsl.

struct Params { T: u32, C: u32, eps: f32, _pad: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;          // (T, C)
@group(0) @binding(2) var<storage, read> x: array<f32>;           // (T, C) the forward's input
@group(0) @binding(3) var<storage, read> weight: array<f32>;      // (C)
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;    // (T, C)
@group(0) @binding(5) var<storage, read_write> stats: array<f32>; // (T, 2) mean, rstd

override WG: u32 = 64u; // threads per row
override ACCUMULATE: bool = false;
#include "common/reduce.wgsl"

@compute @workgroup_size(WG, 1, 1)
fn main(l: Lanes, @builtin(workgroup_id) wid: vec3u) {
  let lid = l.lid.x;
  let base = wid.x * p.C;
  var s = 0.0;
  for (var c = lid; c < p.C; c += WG) { s += x[base + c]; }
  let mean = reduce_sum(l, s) / f32(p.C);
  var v = 0.0;
  for (var c = lid; c < p.C; c += WG) { let d = x[base + c] - mean; v += d * d; }
  let rstd = inverseSqrt(reduce_sum(l, v) / f32(p.C) + p.eps);
  var s1 = 0.0; // Σ dxhat
  var s2 = 0.0; // Σ dxhat * xhat
  for (var c = lid; c < p.C; c += WG) {
    let g = dy[base + c] * weight[c];
    s1 += g;
    s2 += g * (x[base + c] - mean) * rstd;
  }
  let m1 = reduce_sum(l, s1) / f32(p.C);
  let m2 = reduce_sum(l, s2) / f32(p.C);
  for (var c = lid; c < p.C; c += WG) {
    let g = rstd * (dy[base + c] * weight[c] - m1 - (x[base + c] - mean) * rstd * m2);
    if (ACCUMULATE) { dx[base + c] += g; } else { dx[base + c] = g; }
  }
  if (lid == 0u) {
    stats[2u * wid.x] = mean;
    stats[2u * wid.x + 1u] = rstd;
  }
}
