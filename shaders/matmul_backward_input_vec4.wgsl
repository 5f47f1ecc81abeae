// The VJP of out (M, N) = a (M, K) @ b (K, N) + bias w.r.t. a, for N a multiple of 4 (every
// GPT-2 linear): da (M, K) = dy (M, N) · bᵀ. dy's rows and b's rows (b is stored [in, out] =
// (K, N)) are both contiguous over n, so each output is a dot product of two vec4 streams. Each
// thread computes a 4x4 block (rows m0..m0+3, columns k0..k0+3): 8 vec4 loads feed 16 dot
// products a step, as matmul.wgsl does for the forward (no workgroup tiling, for the same
// reason). b is stored as f32 or f16 (W4). Any M and K: rows and columns past them read as 0
// and are not written. matmul_backward_input.wgsl is the plain loop for any N.

#include "common/weights.wgsl"

struct Params { M: u32, N: u32, K: u32, _pad: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<vec4<f32>>; // (M, N/4)
@group(0) @binding(2) var<storage, read> b: array<W4>;         // (K, N/4)
@group(0) @binding(3) var<storage, read_write> da: array<f32>; // (M, K)

fn load_dy(m: u32, n4: u32) -> vec4<f32> {
  if (m < p.M) { return dy[m * (p.N / 4u) + n4]; }
  return vec4<f32>(0.0);
}

fn load_b(k: u32, n4: u32) -> vec4<f32> {
  if (k < p.K) { return w4(b[k * (p.N / 4u) + n4]); }
  return vec4<f32>(0.0);
}

/** Row m of da, columns k0..k0+3 (those below K). */
fn store(m: u32, k0: u32, v: vec4<f32>) {
  if (m >= p.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    if (k0 + j < p.K) { da[m * p.K + k0 + j] = v[j]; }
  }
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let k0 = gid.x * 4u;
  let m0 = gid.y * 4u;
  if (k0 >= p.K || m0 >= p.M) { return; }
  var c0 = vec4<f32>(0.0); // row m0, columns k0..k0+3
  var c1 = vec4<f32>(0.0);
  var c2 = vec4<f32>(0.0);
  var c3 = vec4<f32>(0.0);
  for (var n4 = 0u; n4 < p.N / 4u; n4++) {
    let d0 = load_dy(m0, n4);
    let d1 = load_dy(m0 + 1u, n4);
    let d2 = load_dy(m0 + 2u, n4);
    let d3 = load_dy(m0 + 3u, n4);
    let b0 = load_b(k0, n4);
    let b1 = load_b(k0 + 1u, n4);
    let b2 = load_b(k0 + 2u, n4);
    let b3 = load_b(k0 + 3u, n4);
    c0 += vec4<f32>(dot(d0, b0), dot(d0, b1), dot(d0, b2), dot(d0, b3));
    c1 += vec4<f32>(dot(d1, b0), dot(d1, b1), dot(d1, b2), dot(d1, b3));
    c2 += vec4<f32>(dot(d2, b0), dot(d2, b1), dot(d2, b2), dot(d2, b3));
    c3 += vec4<f32>(dot(d3, b0), dot(d3, b1), dot(d3, b2), dot(d3, b3));
  }
  store(m0, k0, c0);
  store(m0 + 1u, k0, c1);
  store(m0 + 2u, k0, c2);
  store(m0 + 3u, k0, c3);
}
