// Sum and max of one f32 per thread over a workgroup, with subgroup operations (the ":sg"
// variant of shaders that #include "common/reduce.wgsl"; pipelines.ts adds `enable subgroups;`
// and `requires subgroup_id;`). Each subgroup reduces in registers, one elected lane per
// subgroup stores the result at its subgroup_id, and every thread folds num_subgroups values
// (2 on a 64-thread workgroup of an NVIDIA GPU) instead of WG. subgroup_id is the spec's own
// numbering, so nothing assumes how invocations are packed into subgroups.
// The entry point takes `l: Lanes`. Call from uniform control flow.

struct Lanes {
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(subgroup_id) sg: u32,
  @builtin(num_subgroups) n_sg: u32,
}

var<workgroup> red: array<f32, WG>;

fn reduce_sum(l: Lanes, v: f32) -> f32 {
  let s = subgroupAdd(v);
  if (subgroupElect()) { red[l.sg] = s; }
  workgroupBarrier();
  var total = 0.0;
  for (var i = 0u; i < l.n_sg; i++) { total += red[i]; }
  workgroupBarrier(); // red is reused by the next reduction
  return total;
}

fn reduce_max(l: Lanes, v: f32) -> f32 {
  let s = subgroupMax(v);
  if (subgroupElect()) { red[l.sg] = s; }
  workgroupBarrier();
  var m = red[0];
  for (var i = 1u; i < l.n_sg; i++) { m = max(m, red[i]); }
  workgroupBarrier();
  return m;
}
