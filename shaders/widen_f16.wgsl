// f16 -> f32: out[i] = the i-th half of `src`, for the backward's VJP kernels, which read f32
// weights. A model stored as f16 gets f32 copies of its matrices once, the first time it runs a
// backward (src/model/backward_weights.ts). Halves are packed two per u32, low half first, as
// toHalf() uploads them.
// Threads: one output pair each; 2D grid so n may exceed 65535 * 256 * 2.

struct Params { n: u32, row: u32, _a: u32, _b: u32 } // n halves; row = threads per grid row

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;        // (ceil(n / 2)) packed halves
@group(0) @binding(2) var<storage, read_write> out: array<f32>;  // (n)

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * p.row + gid.x;
  if (2u * i >= p.n) { return; }
  let v = unpack2x16float(src[i]);
  out[2u * i] = v.x;
  if (2u * i + 1u < p.n) { out[2u * i + 1u] = v.y; }
}
