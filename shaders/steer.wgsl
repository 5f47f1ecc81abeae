// The steering edit at the SAE's hook, in place on the residual x (T, C):
//   clamp (mode 0, Anthropic): x += (value - f[t, i]) * dec_scale[t] * W_dec[i]
//       i.e. x = SAE(x) + error(x) rebuilt with feature i set to value; the error term is kept.
//       value == f[t, i] adds exactly 0, so the output is bit-for-bit unchanged.
//   add (mode 1, Neuronpedia):  x += value * W_dec[i]
// Each entry applies at absolute positions >= start. Threads: x over channels c, y over tokens t.

struct Entry { feature: u32, mode: u32, value: f32, start: u32 }
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

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  let t = gid.y;
  if (c >= p.C || t >= p.T) { return; }
  var delta = 0.0;
  for (var e = 0u; e < steering.n; e++) {
    let en = steering.entries[e];
    if (step.pos0 + t < en.start) { continue; }
    var coef = en.value;
    if (en.mode == 0u) { coef = (en.value - f[t * p.S + en.feature]) * stats[t].x; }
    delta += coef * w_dec[en.feature * p.C + c];
  }
  if (delta != 0.0) { x[t * p.C + c] += delta; } // no entry in force: x untouched, to the bit
}
