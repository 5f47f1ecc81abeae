// Matmul with bias: out[M, N] = a[M, K] @ b[K, N] + bias[N], with K and N multiples of 4.
// b is a GPT-2 Conv1D weight, stored [in, out]. Used for prefill (M = T > 1); decode uses matvec.
// Each thread computes a 4x4 block (rows m0..m0+3, columns 4*n4..4*n4+3) in four vec4
// accumulators, walking K four at a time: 4 vec4 loads of a and 4 of b feed 64 multiply-adds.
// There is no workgroup tiling: on a CPU-backed adapter (SwiftShader) the caches do that job
// and barriers are costly; measured 1.5x faster there than a 64x64 shared-memory tiling.
// Rows past M read as 0 and are not written, so any M works. b is stored as f32 or f16 (W4).
// EPILOGUE fuses the op that follows, saving a dispatch and a pass over the output (see
// common/matmul_io.wgsl, which holds the bindings and store()).

#include "common/gelu.wgsl"
#include "common/weights.wgsl"
#include "common/matmul_io.wgsl"

fn load_a(m: u32, k4: u32) -> vec4<f32> {
  if (m < p.M) { return a[m * (p.K / 4u) + k4]; }
  return vec4<f32>(0.0);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n4 = gid.x;
  let m0 = gid.y * 4u;
  let N4 = p.N / 4u;
  if (n4 >= N4 || m0 >= p.M) { return; }
  var c0 = vec4<f32>(0.0); // row m0
  var c1 = vec4<f32>(0.0); // row m0 + 1
  var c2 = vec4<f32>(0.0);
  var c3 = vec4<f32>(0.0);
  for (var k4 = 0u; k4 < p.K / 4u; k4++) {
    let a0 = load_a(m0, k4);
    let a1 = load_a(m0 + 1u, k4);
    let a2 = load_a(m0 + 2u, k4);
    let a3 = load_a(m0 + 3u, k4);
    let kb = 4u * k4 * N4 + n4; // b rows 4k4..4k4+3, this thread's 4 columns
    let b0 = w4(b[kb]);
    let b1 = w4(b[kb + N4]);
    let b2 = w4(b[kb + 2u * N4]);
    let b3 = w4(b[kb + 3u * N4]);
    c0 += a0.x * b0 + a0.y * b1 + a0.z * b2 + a0.w * b3;
    c1 += a1.x * b0 + a1.y * b1 + a1.z * b2 + a1.w * b3;
    c2 += a2.x * b0 + a2.y * b1 + a2.z * b2 + a2.w * b3;
    c3 += a3.x * b0 + a3.y * b1 + a3.z * b2 + a3.w * b3;
  }
  store(m0, n4, c0);
  store(m0 + 1u, n4, c1);
  store(m0 + 2u, n4, c2);
  store(m0 + 3u, n4, c3);
}
