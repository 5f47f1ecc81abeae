// Matmul with bias, register-tiled: out[M, N] = a[M, K] @ b[K, N] + bias[N].
// b is a GPT-2 Conv1D weight, stored [in, out]. Used for prefill (M = T > 1); decode uses matvec.
// Each 16x16 workgroup computes a 64x64 output tile; thread (tx, ty) a 4x4 block at rows
// m0 + 4ty.. and columns n0 + 4tx.., held in four vec4 accumulators (no private arrays: a
// CPU-backed adapter would keep those in memory). K advances 32 at a time through workgroup
// tiles. Out-of-range loads read 0, so any M, N, K works.

struct Params { M: u32, N: u32, K: u32, _pad: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;         // (M, K)
@group(0) @binding(2) var<storage, read> b: array<f32>;         // (K, N)
@group(0) @binding(3) var<storage, read> bias: array<f32>;      // (N)
@group(0) @binding(4) var<storage, read_write> out: array<f32>; // (M, N)

const TK: u32 = 32u;
var<workgroup> as4: array<vec4<f32>, 512>; // [TK][16]: a tile transposed, 4 rows per vec4
var<workgroup> bs4: array<vec4<f32>, 512>; // [TK][16]: b tile, 4 columns per vec4

fn load_a(m: u32, k: u32) -> f32 {
  if (m < p.M && k < p.K) { return a[m * p.K + k]; }
  return 0.0;
}

fn load_b(k: u32, n: u32) -> f32 {
  if (k < p.K && n < p.N) { return b[k * p.N + n]; }
  return 0.0;
}

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let tx = lid.x;
  let ty = lid.y;
  let tid = ty * 16u + tx;
  let m0 = wid.y * 64u;
  let n0 = wid.x * 64u;
  var acc0 = vec4<f32>(0.0); // row m0 + 4ty + 0, columns n0 + 4tx + 0..3
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);

  for (var k0 = 0u; k0 < p.K; k0 += TK) {
    // 512 vec4 slots per tile, 2 per thread. a: slot (k, m4) holds rows 4m4..4m4+3 at column k.
    for (var r = 0u; r < 2u; r++) {
      let s = tid + 256u * r;
      let k = s / 16u;
      let g = s % 16u;
      let am = m0 + 4u * g;
      as4[s] = vec4<f32>(load_a(am, k0 + k), load_a(am + 1u, k0 + k), load_a(am + 2u, k0 + k), load_a(am + 3u, k0 + k));
      let bn = n0 + 4u * g;
      bs4[s] = vec4<f32>(load_b(k0 + k, bn), load_b(k0 + k, bn + 1u), load_b(k0 + k, bn + 2u), load_b(k0 + k, bn + 3u));
    }
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      let av = as4[k * 16u + ty];
      let bv = bs4[k * 16u + tx];
      acc0 += av.x * bv;
      acc1 += av.y * bv;
      acc2 += av.z * bv;
      acc3 += av.w * bv;
    }
    workgroupBarrier();
  }

  let n = n0 + 4u * tx;
  let m = m0 + 4u * ty;
  store(m, n, acc0);
  store(m + 1u, n, acc1);
  store(m + 2u, n, acc2);
  store(m + 3u, n, acc3);
}

fn store(m: u32, n: u32, v: vec4<f32>) {
  if (m >= p.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    if (n + j < p.N) { out[m * p.N + n + j] = v[j] + bias[n + j]; }
  }
}
