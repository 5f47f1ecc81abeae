// The VJP of out (M, N) = a (M, K) @ b (K, N) + bias w.r.t. a: da (M, K) = dy (M, N) · bᵀ.
// b is a GPT-2 Conv1D weight stored [in, out] = (K, N), so row k of b is contiguous and each
// output is a dot product of two contiguous rows, dy[m, :] and b[k, :]. Any M, N, K.
// Threads: one output each, x over k, y over m (16 x 16 per workgroup). Plain loops: this is
// the readable baseline the backward is checked with, not tuned.

struct Params { M: u32, N: u32, K: u32, _pad: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;       // (M, N)
@group(0) @binding(2) var<storage, read> b: array<f32>;        // (K, N)
@group(0) @binding(3) var<storage, read_write> da: array<f32>; // (M, K)

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let k = gid.x;
  let m = gid.y;
  if (k >= p.K || m >= p.M) { return; }
  var acc = 0.0;
  for (var n = 0u; n < p.N; n++) { acc += dy[m * p.N + n] * b[k * p.N + n]; }
  da[m * p.K + k] = acc;
}
