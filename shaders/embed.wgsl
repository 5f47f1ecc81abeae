// Token (+ position) embedding: out[t, c] = wte[ids[t], c] * scale (+ wpe[pos0 + t, c] when
// POS, as GPT-2). Gemma scales by sqrt(C); rotary models have no wpe (bind wte in its place).
// wte may be split into row chunks (binding-size limit, see src/gpu/buffers.ts): one dispatch
// per chunk, each writing only the tokens whose id lies in [row0, row0 + rows). Every token lies
// in exactly one chunk, so every output row is written exactly once.
// wte and wpe are stored as f32 or f16 (W4), read 4 channels at a time (C % 4 == 0).
// Threads: x over groups of 4 channels, y over tokens t.

struct Params { T: u32, C4: u32, row0: u32, rows: u32, scale: f32, _a: u32, _b: u32, _c: u32 } // C4 = C / 4
struct Step { pos0: u32, _a: u32, _b: u32, _c: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> ids: array<u32>;             // (T)
@group(0) @binding(3) var<storage, read> wte: array<W4>;              // (rows, C/4), one chunk
@group(0) @binding(4) var<storage, read> wpe: array<W4>;              // (n_ctx, C/4)
@group(0) @binding(5) var<storage, read_write> out: array<vec4<f32>>; // (T, C/4)

override POS: bool = true;

#include "common/weights.wgsl"

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c4 = gid.x;
  let t = gid.y;
  if (c4 >= p.C4 || t >= p.T) { return; }
  let id = ids[t];
  if (id < p.row0 || id >= p.row0 + p.rows) { return; }
  var e = w4(wte[(id - p.row0) * p.C4 + c4]) * p.scale;
  if (POS) { e += w4(wpe[(step.pos0 + t) * p.C4 + c4]); }
  out[t * p.C4 + c4] = e;
}
