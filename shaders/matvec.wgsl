// Matrix-vector product with bias, for single-token decode: out[n] = x[:] @ w[:, n] + bias[n].
// w is a GPT-2 Conv1D weight, stored [in = K, out = N], read as vec4 along N (N % 4 == 0).
// Decode is memory-bound, so the job is to stream w exactly once in wide contiguous reads: each
// thread owns 4 adjacent columns (one vec4) and walks its slice of K; at each k the 16 threads of
// a row read 256 contiguous bytes (128 in f16). w is stored as f32 or f16 (W4).
// Grid: x over blocks of 16 vec4 columns, y over SPLITS slices of K (Params.k_split rows each).
// Inside a workgroup the ROWS thread rows cut that slice again and are summed at the end.
//   CPU adapters: ROWS = 4, one split: few threads, each walking a long contiguous run (caches).
//   GPUs: ROWS = 16 and enough splits that every weight-streaming launch has >= 32k threads in
//   flight; each split then writes its partial sums (PARTIAL) and matvec_reduce adds them up.

struct Params { N4: u32, K: u32, k_split: u32, _b: u32 } // N4 = N / 4; k_split: K rows per split

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;               // (K)
@group(0) @binding(2) var<storage, read> w: array<W4>;                // (K, N/4)
@group(0) @binding(3) var<storage, read> bias: array<vec4<f32>>;      // (N/4)
@group(0) @binding(4) var<storage, read_write> out: array<vec4<f32>>; // (N/4), or (SPLITS, N/4) partials

override EPILOGUE: u32 = 0u;
override ROWS: u32 = 4u;         // thread rows per workgroup
override PARTIAL: bool = false;  // write this split's partial sum (no bias, no epilogue)

#include "common/gelu.wgsl"
#include "common/weights.wgsl"

const COLS4: u32 = 16u; // vec4 columns per workgroup
var<workgroup> part: array<vec4<f32>, COLS4 * ROWS>; // [ROWS][COLS4]

@compute @workgroup_size(COLS4, ROWS, 1)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let n4 = wid.x * COLS4 + lid.x;
  let k0 = wid.y * p.k_split;
  let k1 = min(p.K, k0 + p.k_split);
  let slice = (p.k_split + ROWS - 1u) / ROWS;
  let k_begin = k0 + lid.y * slice;
  let k_end = min(k1, k_begin + slice);
  var acc = vec4<f32>(0.0);
  if (n4 < p.N4) {
    for (var k = k_begin; k < k_end; k++) { acc += x[k] * w4(w[k * p.N4 + n4]); }
  }
  part[lid.y * COLS4 + lid.x] = acc;
  workgroupBarrier();
  if (lid.y == 0u && n4 < p.N4) {
    var r = part[lid.x];
    for (var i = 1u; i < ROWS; i++) { r += part[i * COLS4 + lid.x]; }
    if (PARTIAL) {
      out[wid.y * p.N4 + n4] = r;
      return;
    }
    r += bias[n4];
    if (EPILOGUE == 1u) { r = gelu4(r); }
    if (EPILOGUE == 2u) { r += out[n4]; }
    out[n4] = r;
  }
}
