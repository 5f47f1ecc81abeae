// The second half of a split-K matvec (see matvec.wgsl): out[n] = sum_s partial[s, n] + bias[n],
// then the epilogue (0 none, 1 GELU, 2 residual add). One thread per vec4 of outputs.

struct Params { N4: u32, SPLITS: u32, _a: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<vec4<f32>>;   // (SPLITS, N/4)
@group(0) @binding(2) var<storage, read> bias: array<vec4<f32>>;      // (N/4)
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>; // (N/4)

override EPILOGUE: u32 = 0u;

#include "common/gelu.wgsl"

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n4 = gid.x;
  if (n4 >= p.N4) { return; }
  var r = bias[n4];
  for (var s = 0u; s < p.SPLITS; s++) { r += partial[s * p.N4 + n4]; }
  if (EPILOGUE == 1u) { r = gelu4(r); }
  if (EPILOGUE == 2u) { r += out[n4]; }
  out[n4] = r;
}
