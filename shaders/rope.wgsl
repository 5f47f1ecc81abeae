// Rotary position embedding, in place on the q and k heads of a fused qkv row (T, stride): q heads
// 0..NH, then k heads NH..NH+NKV, each HS wide (v is not rotated). Hugging Face's rotate-half
// form, as Llama, Gemma and Qwen use: with (cos, sin) of angle pos * inv_freq[i], i < HS/2,
//   x[i]        <- x[i] cos - x[i + HS/2] sin
//   x[i + HS/2] <- x[i + HS/2] cos + x[i] sin
// cos and sin come from a table computed once on the CPU (src/model/rope.ts): f32 cos() on the
// GPU is only accurate near 0, and angles reach thousands of radians.
// QK_NORM (Gemma 3, Qwen 3) first RMS-normalises each head over HS with its weight (q_norm for
// q heads, k_norm for k heads; OFFSET 1 for Gemma's (1 + w)).
// One workgroup of WG threads per (t, head); threads stride over the HS/2 rotation pairs.

struct Params { T: u32, NH: u32, NKV: u32, HS: u32, stride: u32, eps: f32, _a: u32, _b: u32 }
struct Step { pos0: u32, _a: u32, _b: u32, _c: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read_write> qkv: array<f32>;   // (T, stride)
@group(0) @binding(3) var<storage, read> cs: array<vec2<f32>>;    // (n_ctx, HS/2): cos, sin
@group(0) @binding(4) var<storage, read> norm_w: array<f32>;      // (2, HS): q_norm, k_norm

override WG: u32 = 64u;
override QK_NORM: bool = false;
override OFFSET: f32 = 0.0;
#include "common/reduce.wgsl"

@compute @workgroup_size(WG, 1, 1)
fn main(l: Lanes, @builtin(workgroup_id) wid: vec3u) {
  let lid = l.lid.x;
  let t = wid.x;
  let head = wid.y;
  let base = t * p.stride + head * p.HS;
  let half = p.HS / 2u;
  var rms = 1.0;
  if (QK_NORM) {
    var s = 0.0;
    for (var i = lid; i < p.HS; i += WG) { let v = qkv[base + i]; s += v * v; }
    rms = inverseSqrt(reduce_sum(l, s) / f32(p.HS) + p.eps); // its barrier orders these reads before the writes
  }
  let w = select(0u, p.HS, head >= p.NH); // k heads use k_norm
  let row = (step.pos0 + t) * half;
  for (var i = lid; i < half; i += WG) {
    var x1 = qkv[base + i];
    var x2 = qkv[base + i + half];
    if (QK_NORM) {
      x1 *= rms * (OFFSET + norm_w[w + i]);
      x2 *= rms * (OFFSET + norm_w[w + i + half]);
    }
    let c = cs[row + i];
    qkv[base + i] = x1 * c.x - x2 * c.y;
    qkv[base + i + half] = x2 * c.x + x1 * c.y;
  }
}
