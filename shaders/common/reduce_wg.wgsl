// Sum and max of one f32 per thread over a workgroup of WG threads (WG is the including
// shader's), through workgroup memory: the fallback where the adapter has no subgroups (see
// reduce_subgroup.wgsl). Every thread folds all WG partials itself: two barriers instead of a
// log2(WG)-step tree, which matters where barriers are costly (SwiftShader switches every SIMD
// group at each one). The entry point takes `l: Lanes`. Call from uniform control flow.

struct Lanes { @builtin(local_invocation_id) lid: vec3u }

var<workgroup> red: array<f32, WG>;

fn reduce_sum(l: Lanes, v: f32) -> f32 {
  red[l.lid.x] = v;
  workgroupBarrier();
  var total = 0.0;
  for (var i = 0u; i < WG; i++) { total += red[i]; }
  workgroupBarrier(); // red is reused by the next reduction
  return total;
}

fn reduce_max(l: Lanes, v: f32) -> f32 {
  red[l.lid.x] = v;
  workgroupBarrier();
  var m = red[0];
  for (var i = 1u; i < WG; i++) { m = max(m, red[i]); }
  workgroupBarrier();
  return m;
}
