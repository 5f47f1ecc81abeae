// The VJP of rope.wgsl (rotary embedding, with QK-norm when QK_NORM), in place on the gradient
// of a fused qkv row (T, stride): q heads 0..NH, then k heads NH..NH+NKV, each HS wide (v's
// gradient passes through untouched). The rotation is orthogonal, so its VJP is the inverse
// rotation, by -angle: with (cos, sin) of position pos0 + t,
//   dn[i]        = dy[i] cos + dy[i + HS/2] sin
//   dn[i + HS/2] = dy[i + HS/2] cos - dy[i] sin
// QK_NORM (Gemma 3, Qwen 3): the forward rotated n = x r (OFFSET + w), r = 1/sqrt(mean(x²) + eps)
// over the head, so then (as rmsnorm_backward.wgsl, over HS)
//   g = dn (OFFSET + w),  dx = r g - x r³ mean(g x)
// with x the forward's input (before QK-norm and RoPE) and w q_norm or k_norm.
// One workgroup of WG threads per (t, head); threads stride over the HS/2 rotation pairs, and
// each thread reads and writes only its own pairs, so in-place is safe.

struct Params { T: u32, NH: u32, NKV: u32, HS: u32, stride: u32, eps: f32, pos0: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dqkv: array<f32>; // (T, stride) in: d rotated, out: d input
@group(0) @binding(2) var<storage, read> qkv: array<f32>;        // (T, stride) the forward's input
@group(0) @binding(3) var<storage, read> cs: array<vec2<f32>>;   // (n_ctx, HS/2): cos, sin
@group(0) @binding(4) var<storage, read> norm_w: array<f32>;     // (2, HS): q_norm, k_norm

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
  let w = select(0u, p.HS, head >= p.NH); // k heads use k_norm
  let row = (p.pos0 + t) * half;
  var ss = 0.0; // Σ x²
  var gx = 0.0; // Σ g x
  for (var i = lid; i < half; i += WG) {
    let c = cs[row + i];
    let d1 = dqkv[base + i];
    let d2 = dqkv[base + i + half];
    let n1 = d1 * c.x + d2 * c.y;
    let n2 = d2 * c.x - d1 * c.y;
    if (QK_NORM) {
      let x1 = qkv[base + i];
      let x2 = qkv[base + i + half];
      ss += x1 * x1 + x2 * x2;
      gx += n1 * (OFFSET + norm_w[w + i]) * x1 + n2 * (OFFSET + norm_w[w + i + half]) * x2;
    } else {
      dqkv[base + i] = n1;
      dqkv[base + i + half] = n2;
    }
  }
  if (!QK_NORM) { return; }
  let r = inverseSqrt(reduce_sum(l, ss) / f32(p.HS) + p.eps);
  let m = reduce_sum(l, gx) / f32(p.HS) * r * r * r;
  for (var i = lid; i < half; i += WG) {
    let c = cs[row + i];
    let d1 = dqkv[base + i];
    let d2 = dqkv[base + i + half];
    let n1 = d1 * c.x + d2 * c.y;
    let n2 = d2 * c.x - d1 * c.y;
    dqkv[base + i] = r * n1 * (OFFSET + norm_w[w + i]) - qkv[base + i] * m;
    dqkv[base + i + half] = r * n2 * (OFFSET + norm_w[w + i + half]) - qkv[base + i + half] * m;
  }
}
