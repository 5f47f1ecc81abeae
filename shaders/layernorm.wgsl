// LayerNorm over the last dim: out[t, :] = (x - mean) / sqrt(var + eps) * weight + bias.
// One workgroup per row t; WG threads stride over C (64 on GPUs, 4 on CPU adapters: see
// gpu.ts); the sums use subgroups where the adapter has them (common/reduce.wgsl).
// Mean and variance are two passes over the row (not E[x^2] - E[x]^2), which loses no
// precision when |mean| >> std, as in GPT-2's residual.

struct Params { T: u32, C: u32, eps: f32, _pad: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> inp: array<f32>;       // (T, C)
@group(0) @binding(2) var<storage, read> weight: array<f32>;    // (C)
@group(0) @binding(3) var<storage, read> bias: array<f32>;      // (C)
@group(0) @binding(4) var<storage, read_write> out: array<f32>; // (T, C)

override WG: u32 = 64u; // threads per row
#include "common/reduce.wgsl"

@compute @workgroup_size(WG, 1, 1)
fn main(l: Lanes, @builtin(workgroup_id) wid: vec3u) {
  let lid = l.lid.x;
  let base = wid.x * p.C;
  var s = 0.0;
  for (var c = lid; c < p.C; c += WG) { s += inp[base + c]; }
  let mean = reduce_sum(l, s) / f32(p.C);
  var v = 0.0;
  for (var c = lid; c < p.C; c += WG) { let d = inp[base + c] - mean; v += d * d; }
  let rstd = inverseSqrt(reduce_sum(l, v) / f32(p.C) + p.eps);
  for (var c = lid; c < p.C; c += WG) {
    out[base + c] = (inp[base + c] - mean) * rstd * weight[c] + bias[c];
  }
}
