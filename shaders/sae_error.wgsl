// Per-token reconstruction error of the SAE, in the SAE's input space (after any TransformerLens
// centring, before normalization): out[t] = (|x - x_hat|, |x|). The UI shows the ratio.
// One 64-thread workgroup per token; two-barrier reductions.

struct Params { C: u32, _a: u32, _b: u32, _c: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;             // (T, C)
@group(0) @binding(2) var<storage, read> x_hat: array<f32>;         // (T, C)
@group(0) @binding(3) var<storage, read_write> out: array<vec2<f32>>; // (T)

const WG: u32 = 64u;
var<workgroup> red: array<vec2<f32>, WG>;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(local_invocation_id) lid3: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let lid = lid3.x;
  let base = wid.x * p.C;
  var acc = vec2<f32>(0.0);
  for (var c = lid; c < p.C; c += WG) {
    let v = x[base + c];
    let d = v - x_hat[base + c];
    acc += vec2<f32>(d * d, v * v);
  }
  red[lid] = acc;
  workgroupBarrier();
  if (lid == 0u) {
    var total = vec2<f32>(0.0);
    for (var i = 0u; i < WG; i++) { total += red[i]; }
    out[wid.x] = sqrt(total);
  }
}
