// Matmul with bias for GPUs: out[M, N] = a[M, K] @ b[K, N] + bias[N] (prefill), tiled through
// workgroup memory. K and N are multiples of 4. matmul.wgsl is the CPU-adapter variant.
// A workgroup of 16 x 16 threads computes a 32-row x 64-column tile of out. Each K step of 16,
// the workgroup loads a 32x16 tile of a and a 16x64 tile of b once into workgroup memory (b
// unpacked to f32 on load), then every thread multiplies its 2 rows by its vec4 of columns out of
// it: each weight read from memory feeds 32 rows' multiply-adds. Rows past M, columns past N and
// k past K load as 0 and are not written, so any shape works. b is stored as f32 or f16 (W4).
// EPILOGUE fuses the op that follows (common/matmul_io.wgsl holds the bindings and store()).

#include "common/gelu.wgsl"
#include "common/weights.wgsl"
#include "common/matmul_io.wgsl"

const TM: u32 = 32u;  // rows of out per workgroup (2 per thread row)
const TN4: u32 = 16u; // vec4 columns of out per workgroup (1 per thread column)
const TK: u32 = 16u;  // k per step
var<workgroup> a_tile: array<f32, TM * TK>;        // [TM][TK]
var<workgroup> b_tile: array<vec4<f32>, TK * TN4>; // [TK][TN4]

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let K4 = p.K / 4u;
  let N4 = p.N / 4u;
  let tid = lid.y * 16u + lid.x;
  let m_tile = wid.y * TM;
  let n4 = wid.x * TN4 + lid.x;
  var c0 = vec4<f32>(0.0); // row m_tile + 2 lid.y
  var c1 = vec4<f32>(0.0); // row m_tile + 2 lid.y + 1
  for (var k0 = 0u; k0 < p.K; k0 += TK) {
    // a tile: 32 rows x 4 vec4s, one vec4 for each of the first 128 threads
    if (tid < TM * TK / 4u) {
      let row = tid / 4u;
      let q = tid % 4u;
      let m = m_tile + row;
      let k4 = k0 / 4u + q;
      var v = vec4<f32>(0.0);
      if (m < p.M && k4 < K4) { v = a[m * K4 + k4]; }
      let at = row * TK + 4u * q;
      a_tile[at] = v.x;
      a_tile[at + 1u] = v.y;
      a_tile[at + 2u] = v.z;
      a_tile[at + 3u] = v.w;
    }
    // b tile: 16 rows x 16 vec4s, one per thread; a thread row reads 256 contiguous bytes
    let k = k0 + lid.y;
    let nb = wid.x * TN4 + lid.x;
    var bv = vec4<f32>(0.0);
    if (k < p.K && nb < N4) { bv = w4(b[k * N4 + nb]); }
    b_tile[lid.y * TN4 + lid.x] = bv;
    workgroupBarrier();
    let r0 = 2u * lid.y * TK;
    for (var kk = 0u; kk < TK; kk++) {
      let w = b_tile[kk * TN4 + lid.x];
      c0 += a_tile[r0 + kk] * w;
      c1 += a_tile[r0 + TK + kk] * w;
    }
    workgroupBarrier();
  }
  store(m_tile + 2u * lid.y, n4, c0);
  store(m_tile + 2u * lid.y + 1u, n4, c1);
}
