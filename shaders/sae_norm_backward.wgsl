// The VJP of sae_norm.wgsl: d x (T, C) from d x_in (T, C) and the residual x (T, C). b_dec's
// subtraction passes the gradient through. With x_s = x - shift (shift = mean(x) when CENTER),
// d = x_s - mu (mu = mean(x_s) for layer_norm, else 0) and g = d x_in, every mode's VJP is
// d x_s = A g + B d - K, and CENTER then subtracts the mean:
//   NORM 0 none:                  A = 1,        B = 0
//   NORM 1 constant_norm_rescale: A = sqrt(C)/|d|, B = -A (d · g) / |d|²
//   NORM 2 layer_norm, a = 1/(sd + eps), sd = sqrt(Σ d² / (C - 1)):
//                                 A = a,        B = -a² (d · g) / ((C - 1) sd),  K = mean(A g + B d)
//   NORM 3 scale s:               A = s,        B = 0
// One workgroup per row t; WG threads stride over C; sums through common/reduce.wgsl.

struct Params { C: u32, _a: u32, scale: f32, eps: f32 }

override CENTER: bool = false;
override NORM: u32 = 0u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> d_in: array<f32>;     // (T, C)
@group(0) @binding(2) var<storage, read> x: array<f32>;        // (T, C) residual
@group(0) @binding(3) var<storage, read_write> dx: array<f32>; // (T, C)

const WG: u32 = 64u;
#include "common/reduce.wgsl"

@compute @workgroup_size(WG, 1, 1)
fn main(l: Lanes, @builtin(workgroup_id) wid: vec3u) {
  let lid = l.lid.x;
  let base = wid.x * p.C;
  let n = f32(p.C);
  var s = 0.0;
  for (var c = lid; c < p.C; c += WG) { s += x[base + c]; }
  let shift = select(0.0, reduce_sum(l, s) / n, CENTER);
  var mu = 0.0;
  if (NORM == 2u) {
    var m = 0.0;
    for (var c = lid; c < p.C; c += WG) { m += x[base + c] - shift; }
    mu = reduce_sum(l, m) / n;
  }
  var q = 0.0;  // Σ d²
  var dg = 0.0; // Σ d g
  var sg = 0.0; // Σ g
  var sd = 0.0; // Σ d
  for (var c = lid; c < p.C; c += WG) {
    let d = x[base + c] - shift - mu;
    let g = d_in[base + c];
    q += d * d;
    dg += d * g;
    sg += g;
    sd += d;
  }
  q = reduce_sum(l, q);
  dg = reduce_sum(l, dg);
  sg = reduce_sum(l, sg);
  sd = reduce_sum(l, sd);
  var A = 1.0;
  var B = 0.0;
  if (NORM == 1u) {
    A = sqrt(n) / sqrt(q);
    B = -A * dg / q;
  } else if (NORM == 2u) {
    let sdev = sqrt(q / (n - 1.0));
    A = 1.0 / (sdev + p.eps);
    B = -A * A * dg / ((n - 1.0) * sdev);
  } else if (NORM == 3u) {
    A = p.scale;
  }
  // layer_norm's own centring and CENTER's both subtract the mean of d x_s (the same mean: once)
  let K = select(0.0, (A * sg + B * sd) / n, CENTER || NORM == 2u);
  for (var c = lid; c < p.C; c += WG) {
    dx[base + c] = A * d_in[base + c] + B * (x[base + c] - shift - mu) - K;
  }
}
