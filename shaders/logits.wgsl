// LM head, tied to the token embedding, only at the rows that need logits:
//   logits[r, v] = x[row0 + r, :] . wte[v, :]
// wte is [V, C] (the embedding layout), so each logit is a dot product of two contiguous rows.
// wte may be split into row chunks: one dispatch per chunk, writing columns [v0, v0 + rows).
// A 256-thread workgroup owns 8 vocab rows; 32 lanes per row stride over C (reads contiguous
// across lanes) and reduce in workgroup memory. Grid: x over vocab blocks, y over rows r.

struct Params { C: u32, V: u32, row0: u32, v0: u32, rows: u32, _a: u32, _b: u32, _c: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;         // (T, C), after ln_f
@group(0) @binding(2) var<storage, read> wte: array<f32>;       // (rows, C), one chunk
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // (R, V)

const LANES: u32 = 32u;
const ROWS_PER_WG: u32 = 8u;
var<workgroup> part: array<f32, 256>; // [ROWS_PER_WG][LANES]

@compute @workgroup_size(32, 8, 1)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let lane = lid.x;
  let v_local = wid.x * ROWS_PER_WG + lid.y;
  let r = wid.y;
  let xb = (p.row0 + r) * p.C;
  var acc = 0.0;
  if (v_local < p.rows) {
    let wb = v_local * p.C;
    for (var c = lane; c < p.C; c += LANES) { acc += x[xb + c] * wte[wb + c]; }
  }
  let slot = lid.y * LANES + lane;
  part[slot] = acc;
  workgroupBarrier();
  for (var s = LANES / 2u; s > 0u; s = s >> 1u) {
    if (lane < s) { part[slot] += part[slot + s]; }
    workgroupBarrier();
  }
  if (lane == 0u && v_local < p.rows) { out[r * p.V + p.v0 + v_local] = part[slot]; }
}
