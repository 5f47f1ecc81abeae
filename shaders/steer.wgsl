// The steering edit at the SAE's hook, in place on the residual x (T, C). v = W_dec[i], the raw
// decoder row, as Neuronpedia's inference server steers with it (normalize_steering off):
//   clamp (mode 0, Anthropic):    x += (value - f[t, i]) * dec_scale[t] * v
//       i.e. x = SAE(x) + error(x) rebuilt with feature i set to value; the error term is kept.
//   add (mode 1, Neuronpedia SIMPLE_ADDITIVE):   x += value * v
//   orthogonal (mode 2, Neuronpedia ORTHOGONAL_DECOMP): x = (I - P) x + value * P x, P = v v^T / |v|^2
//       i.e. x += (value - 1) * <x, v> / |v|^2 * v
//   cap (mode 3, Neuronpedia PROJECTION_CAP): <x, v/|v|> is capped at value from above:
//       where <x, v>/|v| > value, x += (value - <x, v>/|v|) / |v| * v
// Entries apply in order (each sees the edits of the ones before, as Neuronpedia applies its
// operations one by one) at absolute positions start <= pos < end. An edit whose coefficient is
// exactly 0 (add 0, clamp to the current value, orthogonal with value 1, a cap above the
// projection) writes nothing, so x stays bit-for-bit unchanged. A zero decoder row edits nothing.
// One workgroup per token t; thread l owns the channels c = l, l + 64, ...: the dot products it
// adds up are over its own channels, so only the reduction needs the workgroup's memory.

struct Entry { feature: u32, mode: u32, value: f32, start: u32, end: u32, _a: u32, _b: u32, _c: u32 }
struct Steering { n: u32, _a: u32, _b: u32, _c: u32, entries: array<Entry> }
struct Params { T: u32, C: u32, S: u32, _a: u32 }
struct Step { pos0: u32, _a: u32, _b: u32, _c: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> steering: Steering;
@group(0) @binding(3) var<storage, read> f: array<f32>;           // (T, S), before the edit
@group(0) @binding(4) var<storage, read> w_dec: array<f32>;       // (S, C)
@group(0) @binding(5) var<storage, read> stats: array<vec2<f32>>; // (T): (dec_scale, dec_shift)
@group(0) @binding(6) var<storage, read_write> x: array<f32>;     // (T, C)

const WG = 64u;
var<workgroup> red: array<vec2<f32>, WG>; // partial (<x, v>, |v|^2)

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = wid.x;
  let l = lid.x;
  if (t >= p.T) { return; }
  let pos = step.pos0 + t;
  for (var e = 0u; e < steering.n; e++) {
    let en = steering.entries[e];
    if (pos < en.start || pos >= en.end) { continue; }
    let row = en.feature * p.C;
    var coef = en.value;
    if (en.mode == 0u) {
      coef = (en.value - f[t * p.S + en.feature]) * stats[t].x;
    } else if (en.mode >= 2u) {
      var acc = vec2(0.0);
      for (var c = l; c < p.C; c += WG) {
        let v = w_dec[row + c];
        acc += vec2(x[t * p.C + c] * v, v * v);
      }
      red[l] = acc;
      workgroupBarrier();
      for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if (l < s) { red[l] += red[l + s]; }
        workgroupBarrier();
      }
      let dot = red[0].x;
      let vv = red[0].y;
      workgroupBarrier(); // every thread has read red[0] before the next entry writes it
      coef = 0.0;
      if (vv > 0.0) {
        if (en.mode == 2u) {
          coef = (en.value - 1.0) * dot / vv;
        } else {
          let norm = sqrt(vv);
          let proj = dot / norm;
          if (proj > en.value) { coef = (en.value - proj) / norm; }
        }
      }
    }
    if (coef != 0.0) {
      for (var c = l; c < p.C; c += WG) { x[t * p.C + c] += coef * w_dec[row + c]; }
    }
  }
}
