// The attention weights of one query (TransformerLens's blocks.L.attn.hook_pattern, one row of
// it): the fused attention kernel never stores them, so this recomputes them for the query at
// chunk row t (absolute position i = pos0 + t), per head h, over cache rows 0..i:
//   s_j = q . k_j * scale;  s_j = softcap * tanh(s_j / softcap) when softcap > 0
//   w_j = softmax_j(s) over j in max(0, i - window + 1)..i (window 0: all), w_j = 0 before it
// exactly as attention.wgsl masks and scores. Grouped-query: head h reads KV head h / group.
// One workgroup of WG threads per head; each thread owns a strided set of keys j and keeps its
// scores in `out` itself (row (layer, h) of the (layers, NH, i + 1) block at out_off), so only the max and sum
// reductions need barriers. Grid: (NH).

struct Params {
  t: u32, NH: u32, HS: u32, q_stride: u32, // q of head h at qkv[t * q_stride + h * HS]
  kv_width: u32, group: u32, window: u32, out_off: u32, // cache rows are kv_width = NKV * HS wide
  scale: f32, softcap: f32, layer: u32, _a: u32, // out block (layer, NH, i + 1) at out_off
}
struct Step { pos0: u32, _a: u32, _b: u32, _c: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> qkv: array<f32>;       // (T, q_stride), q heads first
@group(0) @binding(3) var<storage, read> k_cache: array<f32>;   // (n_ctx, kv_width)
@group(0) @binding(4) var<storage, read_write> out: array<f32>; // (layers, NH, i + 1) at out_off

override WG: u32 = 64u; // threads per head
#include "common/reduce.wgsl"

@compute @workgroup_size(WG, 1, 1)
fn main(l: Lanes, @builtin(workgroup_id) wid: vec3u) {
  let lid = l.lid.x;
  let h = wid.x;
  let n = step.pos0 + p.t + 1u; // keys 0..i
  let first = select(0u, n - min(n, p.window), p.window > 0u);
  let qb = p.t * p.q_stride + h * p.HS;
  let kv_head = (h / p.group) * p.HS;
  let ob = p.out_off + (p.layer * p.NH + h) * n;
  var m = -3.4e38;
  for (var j = lid; j < n; j += WG) {
    var s = 0.0;
    if (j >= first) {
      let kb = j * p.kv_width + kv_head;
      for (var d = 0u; d < p.HS; d++) { s += qkv[qb + d] * k_cache[kb + d]; }
      s *= p.scale;
      if (p.softcap > 0.0) { s = p.softcap * tanh(s / p.softcap); }
      m = max(m, s);
    }
    out[ob + j] = s;
  }
  m = reduce_max(l, m);
  var z = 0.0;
  for (var j = lid; j < n; j += WG) {
    let e = select(0.0, exp(out[ob + j] - m), j >= first);
    out[ob + j] = e;
    z += e;
  }
  z = reduce_sum(l, z);
  for (var j = lid; j < n; j += WG) { out[ob + j] /= z; }
}
