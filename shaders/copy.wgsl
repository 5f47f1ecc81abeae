// Copy, 16 bytes per thread: dst[i] = src[i] over n vec4s. Its only job is to measure the
// adapter's memory bandwidth for the benchmark's roofline (decode is memory-bound).
// Threads: one vec4 each; 2D grid so n may exceed 65535 * 256.

struct Params { n: u32, row: u32, _a: u32, _b: u32 } // row = threads per grid row

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;       // (n)
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>; // (n)

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * p.row + gid.x;
  if (i >= p.n) { return; }
  dst[i] = src[i];
}
