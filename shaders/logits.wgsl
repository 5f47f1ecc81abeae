// LM head, tied to the token embedding, only at the rows that need logits:
//   logits[r, v] = x[row0 + r, :] . wte[v, :]
// wte is [V, C] (the embedding layout), read as vec4 along C (C % 4 == 0). LANES threads share
// one vocab row and stride along C:
//   LANES = 1 (CPU adapters): each thread streams its own row in 16-byte reads, which a
//     CPU-backed adapter (SwiftShader) turns into sequential vector loads.
//   LANES = 32 (GPUs): 32 threads read 512 contiguous bytes of a row at a time (coalesced), and
//     the partial dot products are summed in workgroup memory; V * 32 threads in flight.
// wte may be split into row chunks: one dispatch per chunk, writing columns [v0, v0 + rows).
// wte is stored as f32 or f16 (W4). Grid: x over blocks of WG / LANES vocab rows, y over rows r.

struct Params { C4: u32, V: u32, row0: u32, v0: u32, rows: u32, _a: u32, _b: u32, _c: u32 } // C4 = C / 4

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;   // (T, C/4), after ln_f
@group(0) @binding(2) var<storage, read> wte: array<W4>;        // (rows, C/4), one chunk
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // (R, V)

override WG: u32 = 64u;
override LANES: u32 = 1u; // threads per vocab row; divides WG
override SOFTCAP: f32 = 0.0; // > 0: final-logit soft-capping, SOFTCAP * tanh(logit / SOFTCAP) (Gemma 2)

#include "common/weights.wgsl"

var<workgroup> part: array<vec4<f32>, WG>;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let v_local = wid.x * (WG / LANES) + lid.x / LANES;
  let lane = lid.x % LANES;
  let r = wid.y;
  let xb = (p.row0 + r) * p.C4;
  let wb = v_local * p.C4;
  var acc = vec4<f32>(0.0);
  if (v_local < p.rows) {
    for (var c = lane; c < p.C4; c += LANES) { acc += x[xb + c] * w4(wte[wb + c]); }
  }
  if (LANES > 1u) {
    part[lid.x] = acc;
    workgroupBarrier();
    if (lane != 0u) { return; }
    for (var i = 1u; i < LANES; i++) { acc += part[lid.x + i]; }
  }
  var logit = acc.x + acc.y + acc.z + acc.w;
  if (SOFTCAP > 0.0) { logit = SOFTCAP * tanh(logit / SOFTCAP); }
  if (v_local < p.rows) { out[r * p.V + p.v0 + v_local] = logit; }
}
