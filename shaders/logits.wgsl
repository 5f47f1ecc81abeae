// LM head, tied to the token embedding, only at the rows that need logits:
//   logits[r, v] = x[row0 + r, :] . wte[v, :]
// wte is [V, C] (the embedding layout), read as vec4 along C (C % 4 == 0): each logit is a dot
// product of two contiguous rows, so each thread streams its own vocab row in 16-byte reads
// (a CPU-backed adapter such as SwiftShader turns this into sequential vector loads).
// wte may be split into row chunks: one dispatch per chunk, writing columns [v0, v0 + rows).
// wte is stored as f32 or f16 (W4).
// Grid: x over blocks of 64 vocab rows, y over rows r.

struct Params { C4: u32, V: u32, row0: u32, v0: u32, rows: u32, _a: u32, _b: u32, _c: u32 } // C4 = C / 4

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;   // (T, C/4), after ln_f
@group(0) @binding(2) var<storage, read> wte: array<W4>;        // (rows, C/4), one chunk
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // (R, V)

#include "common/weights.wgsl"

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let v_local = gid.x;
  let r = gid.y;
  if (v_local >= p.rows) { return; }
  let xb = (p.row0 + r) * p.C4;
  let wb = v_local * p.C4;
  var acc = vec4<f32>(0.0);
  for (var c = 0u; c < p.C4; c++) { acc += x[xb + c] * w4(wte[wb + c]); }
  out[r * p.V + p.v0 + v_local] = acc.x + acc.y + acc.z + acc.w;
}
