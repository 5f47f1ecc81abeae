// Merges the partial softmaxes of a key-split attention (attention.wgsl with SPLIT_KEYS > 0):
//   M = max_s m_s;  out[t, h*HS + d] = sum_s e^(m_s - M) acc_s[d] / sum_s e^(m_s - M) z_s
// A split with no keys has m_s = -3.4e38 and z_s = 0, so it weighs nothing.
// One workgroup of 64 threads per (t, h); threads over d.

struct Params { T: u32, C: u32, NH: u32, HS: u32, SPLITS: u32, _a: u32, _b: u32, _c: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;   // (T, NH, SPLITS, HS + 2)
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // (T, C)

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let t = wid.x;
  let h = wid.y;
  let row = p.HS + 2u;
  let base = (t * p.NH + h) * p.SPLITS * row;
  var big_m = -3.4e38;
  for (var s = 0u; s < p.SPLITS; s++) { big_m = max(big_m, partial[base + s * row + p.HS]); }
  var z = 0.0;
  for (var s = 0u; s < p.SPLITS; s++) {
    let b = base + s * row;
    z += exp(partial[b + p.HS] - big_m) * partial[b + p.HS + 1u];
  }
  for (var d = lid.x; d < p.HS; d += 64u) {
    var acc = 0.0;
    for (var s = 0u; s < p.SPLITS; s++) {
      let b = base + s * row;
      acc += exp(partial[b + p.HS] - big_m) * partial[b + d];
    }
    out[t * p.C + h * p.HS + d] = acc / z;
  }
}
