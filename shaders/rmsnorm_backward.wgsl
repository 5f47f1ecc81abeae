// The VJP of RMSNorm w.r.t. its input, per row t of (T, C) (the forward: shaders/rmsnorm.wgsl):
//   y = x * r * (OFFSET + w),  r = 1 / sqrt(mean(x²) + eps)
//   g = dy * (OFFSET + w),     dx = r * g - x * r³ * mean(g * x)
// r is recomputed from x as the forward does. OFFSET 1 is Gemma's (1 + w), 0 Llama's and Qwen's.
// ACCUMULATE adds into dx instead of overwriting it (the residual stream's gradient already
// there, as layernorm_backward), which saves an add kernel.
// One workgroup per row t; WG threads stride over C; sums through common/reduce.wgsl.

struct Params { T: u32, C: u32, eps: f32, _pad: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;       // (T, C)
@group(0) @binding(2) var<storage, read> x: array<f32>;        // (T, C) the forward's input
@group(0) @binding(3) var<storage, read> weight: array<f32>;   // (C)
@group(0) @binding(4) var<storage, read_write> dx: array<f32>; // (T, C)

override WG: u32 = 64u; // threads per row
override OFFSET: f32 = 0.0;
override ACCUMULATE: bool = false;
#include "common/reduce.wgsl"

@compute @workgroup_size(WG, 1, 1)
fn main(l: Lanes, @builtin(workgroup_id) wid: vec3u) {
  let lid = l.lid.x;
  let base = wid.x * p.C;
  var ss = 0.0; // Σ x²
  var gx = 0.0; // Σ g x
  for (var c = lid; c < p.C; c += WG) {
    let v = x[base + c];
    ss += v * v;
    gx += dy[base + c] * (OFFSET + weight[c]) * v;
  }
  let r = inverseSqrt(reduce_sum(l, ss) / f32(p.C) + p.eps);
  let m = reduce_sum(l, gx) / f32(p.C);
  for (var c = lid; c < p.C; c += WG) {
    let g = r * dy[base + c] * (OFFSET + weight[c]) - x[base + c] * r * r * r * m;
    if (ACCUMULATE) { dx[base + c] += g; } else { dx[base + c] = g; }
  }
}
