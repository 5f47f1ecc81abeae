// Matrix-vector product with bias, for single-token decode: out[n] = x[:] @ w[:, n] + bias[n].
// w is a GPT-2 Conv1D weight, stored [in = K, out = N]. Decode is memory-bound, so the kernel's
// job is to stream w exactly once with contiguous reads: a workgroup owns 64 adjacent columns;
// its 4 thread rows split K into 4 slices; at each k, 64 threads read 64 adjacent floats of row k.
// The 4 partial sums per column are combined in workgroup memory.

struct Params { N: u32, K: u32, _a: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;         // (K)
@group(0) @binding(2) var<storage, read> w: array<f32>;         // (K, N)
@group(0) @binding(3) var<storage, read> bias: array<f32>;      // (N)
@group(0) @binding(4) var<storage, read_write> out: array<f32>; // (N)

const COLS: u32 = 64u;
const SLICES: u32 = 4u;
var<workgroup> part: array<f32, 256>; // [SLICES][COLS]

@compute @workgroup_size(64, 4, 1)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let n = wid.x * COLS + lid.x;
  let slice = (p.K + SLICES - 1u) / SLICES;
  let k_begin = lid.y * slice;
  let k_end = min(p.K, k_begin + slice);
  var acc = 0.0;
  if (n < p.N) {
    for (var k = k_begin; k < k_end; k++) { acc += x[k] * w[k * p.N + n]; }
  }
  part[lid.y * COLS + lid.x] = acc;
  workgroupBarrier();
  if (lid.y == 0u && n < p.N) {
    out[n] = part[lid.x] + part[COLS + lid.x] + part[2u * COLS + lid.x] + part[3u * COLS + lid.x] + bias[n];
  }
}
