// Token + position embedding: out[t, c] = wte[ids[t], c] + wpe[pos0 + t, c].
// wte may be split into row chunks (binding-size limit, see src/gpu/buffers.ts): one dispatch
// per chunk, each writing only the tokens whose id lies in [row0, row0 + rows). Every token lies
// in exactly one chunk, so every output row is written exactly once.
// Threads: x over channels c, y over tokens t.

struct Params { T: u32, C: u32, row0: u32, rows: u32 }
struct Step { pos0: u32, _a: u32, _b: u32, _c: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> ids: array<u32>;       // (T)
@group(0) @binding(3) var<storage, read> wte: array<f32>;       // (rows, C), one chunk
@group(0) @binding(4) var<storage, read> wpe: array<f32>;       // (n_ctx, C)
@group(0) @binding(5) var<storage, read_write> out: array<f32>; // (T, C)

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  let t = gid.y;
  if (c >= p.C || t >= p.T) { return; }
  let id = ids[t];
  if (id < p.row0 || id >= p.row0 + p.rows) { return; }
  out[t * p.C + c] = wte[(id - p.row0) * p.C + c] + wpe[(step.pos0 + t) * p.C + c];
}
