// RMSNorm over the last dim (Llama, Qwen, Gemma):
//   y[t, :] = x[t, :] / sqrt(mean(x[t, :]^2) + eps) * (OFFSET + weight)
// OFFSET is 1 for Gemma, whose norms scale by (1 + w), else 0. EPILOGUE 1 adds y into out
// instead of writing it: Gemma's sandwich norms normalise a sublayer's output on its way into
// the residual stream (resid += norm(attn_out)).
// One workgroup per row t; WG threads stride over C (64 on GPUs, 4 on CPU adapters: see
// gpu.ts); the sum uses subgroups where the adapter has them (common/reduce.wgsl).

struct Params { T: u32, C: u32, eps: f32, _pad: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> inp: array<f32>;       // (T, C)
@group(0) @binding(2) var<storage, read> weight: array<f32>;    // (C)
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // (T, C)

override WG: u32 = 64u; // threads per row
override OFFSET: f32 = 0.0;
override EPILOGUE: u32 = 0u;
#include "common/reduce.wgsl"

@compute @workgroup_size(WG, 1, 1)
fn main(l: Lanes, @builtin(workgroup_id) wid: vec3u) {
  let lid = l.lid.x;
  let base = wid.x * p.C;
  var s = 0.0;
  for (var c = lid; c < p.C; c += WG) { let v = inp[base + c]; s += v * v; }
  let rms = inverseSqrt(reduce_sum(l, s) / f32(p.C) + p.eps);
  for (var c = lid; c < p.C; c += WG) {
    let y = inp[base + c] * rms * (OFFSET + weight[c]);
    if (EPILOGUE == 1u) { out[base + c] += y; } else { out[base + c] = y; }
  }
}
