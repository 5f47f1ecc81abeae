// Per-row log-sum-exp of x (R, V): out[r] = max_v x[r, v] + log(sum_v exp(x[r, v] - max)).
// Subtracting the row max first keeps every exp in (0, 1]: no overflow for any finite logit, and
// the largest term is exactly 1, so the sum is >= 1 and the log never sees an underflowed 0.
// The logit lens reads back only this and each row's top-k logits: p = exp(logit - lse).
// One workgroup per row r; WG threads stride over V (64 on GPUs, 4 on CPU adapters: see gpu.ts);
// max and sum use subgroups where the adapter has them (common/reduce.wgsl).

struct Params { V: u32, _a: u32, _b: u32, _c: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;         // (R, V)
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // (R)

override WG: u32 = 64u; // threads per row
#include "common/reduce.wgsl"

@compute @workgroup_size(WG, 1, 1)
fn main(l: Lanes, @builtin(workgroup_id) wid: vec3u) {
  let lid = l.lid.x;
  let base = wid.x * p.V;
  var m = -3.4e38;
  for (var v = lid; v < p.V; v += WG) { m = max(m, x[base + v]); }
  m = reduce_max(l, m);
  var s = 0.0;
  for (var v = lid; v < p.V; v += WG) { s += exp(x[base + v] - m); }
  s = reduce_sum(l, s);
  if (lid == 0u) { out[wid.x] = m + log(s); }
}
