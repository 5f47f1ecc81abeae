// Matrix-vector product with bias, for single-token decode: out[n] = x[:] @ w[:, n] + bias[n].
// w is a GPT-2 Conv1D weight, stored [in = K, out = N], read as vec4 along N (N % 4 == 0).
// Decode is memory-bound, so the job is to stream w exactly once in wide contiguous reads: each
// thread owns 4 adjacent columns (one vec4) and walks its slice of K; at each k the 16 threads of
// a row read 256 contiguous bytes (128 in f16). The 4 thread rows split K into 4 slices,
// combined at the end. w is stored as f32 or f16 (W4).

struct Params { N4: u32, K: u32, _a: u32, _b: u32 } // N4 = N / 4

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;               // (K)
@group(0) @binding(2) var<storage, read> w: array<W4>;                // (K, N/4)
@group(0) @binding(3) var<storage, read> bias: array<vec4<f32>>;      // (N/4)
@group(0) @binding(4) var<storage, read_write> out: array<vec4<f32>>; // (N/4)

override EPILOGUE: u32 = 0u;

#include "common/gelu.wgsl"
#include "common/weights.wgsl"

const COLS4: u32 = 16u; // vec4 columns per workgroup
const SLICES: u32 = 4u;
var<workgroup> part: array<vec4<f32>, 64>; // [SLICES][COLS4]

@compute @workgroup_size(16, 4, 1)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let n4 = wid.x * COLS4 + lid.x;
  let slice = (p.K + SLICES - 1u) / SLICES;
  let k_begin = lid.y * slice;
  let k_end = min(p.K, k_begin + slice);
  var acc = vec4<f32>(0.0);
  if (n4 < p.N4) {
    for (var k = k_begin; k < k_end; k++) { acc += x[k] * w4(w[k * p.N4 + n4]); }
  }
  part[lid.y * COLS4 + lid.x] = acc;
  workgroupBarrier();
  if (lid.y == 0u && n4 < p.N4) {
    var r = part[lid.x] + part[COLS4 + lid.x] + part[2u * COLS4 + lid.x] + part[3u * COLS4 + lid.x] + bias[n4];
    if (EPILOGUE == 1u) { r = gelu4(r); }
    if (EPILOGUE == 2u) { r += out[n4]; }
    out[n4] = r;
  }
}
