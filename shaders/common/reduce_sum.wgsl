// Sum of one f32 per thread over a workgroup of WG threads (WG is the including shader's).
// Every thread folds all WG partials itself: two barriers instead of a log2(WG)-step tree,
// which matters where barriers are costly (SwiftShader switches every SIMD group at each one).
// Call from uniform control flow.

var<workgroup> red: array<f32, WG>;

fn reduce_sum(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  var total = 0.0;
  for (var i = 0u; i < WG; i++) { total += red[i]; }
  workgroupBarrier(); // red is reused by the next reduction
  return total;
}
