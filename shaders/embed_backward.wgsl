// The VJP of the GPT-2 embedding x (T, C) = wte[ids[t]] + wpe[t] w.r.t. wte: a scatter-add of
// dx's rows into the rows of their tokens. WGSL has no f32 atomics, so instead the first
// occurrence t of each token sums dx over every position holding that token, in a fixed order
// (deterministic), and writes the row; later occurrences write nothing. Rows of tokens not in
// ids are not touched: the caller zeroes dwte. (wpe's gradient is dx itself: a copy.)
// Threads: one (c, t) each, x over c, y over t. O(T² C) work: fine for a prompt.

struct Params { T: u32, C: u32, _a: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;        // (T)
@group(0) @binding(2) var<storage, read> dx: array<f32>;         // (T, C)
@group(0) @binding(3) var<storage, read_write> dwte: array<f32>; // (V, C)

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  let t = gid.y;
  if (c >= p.C || t >= p.T) { return; }
  let tok = ids[t];
  for (var u = 0u; u < t; u++) { if (ids[u] == tok) { return; } }
  var acc = 0.0;
  for (var u = t; u < p.T; u++) { if (ids[u] == tok) { acc += dx[u * p.C + c]; } }
  dwte[tok * p.C + c] = acc;
}
