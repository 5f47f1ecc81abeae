// The VJP of out (M, N) = a (M, K) @ b (K, N) + bias (N) w.r.t. the weight and the bias:
//   db_w (K, N) = aᵀ · dy,   db_bias (N) = Σ_m dy[m, :].
// Any M, N, K. Threads: one weight-gradient entry each, x over n (adjacent threads read adjacent
// dy columns), y over k; the threads of row k = 0 also write the bias gradient. Sums over m run
// in a fixed order, so results are deterministic (no atomics; WGSL has no f32 atomics anyway).

struct Params { M: u32, N: u32, K: u32, _pad: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;          // (M, N)
@group(0) @binding(2) var<storage, read> a: array<f32>;           // (M, K)
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;    // (K, N)
@group(0) @binding(4) var<storage, read_write> dbias: array<f32>; // (N)

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n = gid.x;
  let k = gid.y;
  if (n >= p.N || k >= p.K) { return; }
  var acc = 0.0;
  var bsum = 0.0;
  for (var m = 0u; m < p.M; m++) {
    let g = dy[m * p.N + n];
    acc += a[m * p.K + k] * g;
    bsum += g;
  }
  dw[k * p.N + n] = acc;
  if (k == 0u) { dbias[n] = bsum; }
}
