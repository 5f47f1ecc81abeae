// Matmul with bias, register-tiled: out[M, N] = a[M, K] @ b[K, N] + bias[N].
// b is a GPT-2 Conv1D weight, stored [in, out]. Used for prefill (M = T > 1); decode uses matvec.
// Each 16x16 workgroup computes a 64x64 output tile; each thread a 4x4 block of it, at rows
// m0 + ty + 16i and columns n0 + tx + 16j, so global stores are contiguous across tx.
// K advances in steps of 16 through workgroup tiles. Out-of-range loads read 0 (any M, N, K).

struct Params { M: u32, N: u32, K: u32, _pad: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;         // (M, K)
@group(0) @binding(2) var<storage, read> b: array<f32>;         // (K, N)
@group(0) @binding(3) var<storage, read> bias: array<f32>;      // (N)
@group(0) @binding(4) var<storage, read_write> out: array<f32>; // (M, N)

const TM: u32 = 64u;
const TN: u32 = 64u;
const TK: u32 = 16u;
var<workgroup> as_: array<f32, 1024>; // [TK][TM]: a tile, transposed
var<workgroup> bs: array<f32, 1024>;  // [TK][TN]

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let tx = lid.x;
  let ty = lid.y;
  let tid = ty * 16u + tx;
  let m0 = wid.y * TM;
  let n0 = wid.x * TN;
  var acc: array<f32, 16>; // acc[4i + j] for row ty + 16i, column tx + 16j

  for (var k0 = 0u; k0 < p.K; k0 += TK) {
    for (var r = 0u; r < 4u; r++) {
      let e = tid + 256u * r;
      // a tile: row m = e / TK, col k = e % TK (reads contiguous along k)
      let am = m0 + e / TK;
      let ak = k0 + e % TK;
      var av = 0.0;
      if (am < p.M && ak < p.K) { av = a[am * p.K + ak]; }
      as_[(e % TK) * TM + e / TK] = av;
      // b tile: row k = e / TN, col n = e % TN (reads contiguous along n)
      let bk = k0 + e / TN;
      let bn = n0 + e % TN;
      var bv = 0.0;
      if (bk < p.K && bn < p.N) { bv = b[bk * p.N + bn]; }
      bs[e] = bv;
    }
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      var ar: array<f32, 4>;
      var br: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { ar[i] = as_[k * TM + ty + 16u * i]; }
      for (var j = 0u; j < 4u; j++) { br[j] = bs[k * TN + tx + 16u * j]; }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[4u * i + j] += ar[i] * br[j]; }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < 4u; i++) {
    let m = m0 + ty + 16u * i;
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + tx + 16u * j;
      if (m < p.M && n < p.N) { out[m * p.N + n] = acc[4u * i + j] + bias[n]; }
    }
  }
}
