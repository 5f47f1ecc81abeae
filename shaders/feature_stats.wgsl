// Running per-feature statistics of SAE activations f (T, S), one chunk of tokens per dispatch,
// accumulated into stats (S, 4 + NB) across chunks (a dashboard build over a whole corpus):
//   stats[s, 0] count of tokens with f > 0 (density = count / tokens seen)
//   stats[s, 1] max activation (f32 bits; 0 before the first firing)
//   stats[s, 2] e (i32 bits): the histogram covers [0, 2^e), the smallest power of two above max
//   stats[s, 3] unused
//   stats[s, 4 + b] histogram of the positive activations: bin b holds [b, b + 1) * 2^e / NB
// When a chunk raises max past 2^e, e grows by d and the old bins fold: old bin i lies inside new
// bin i >> d exactly, as every edge is a power of two times an integer. Binning multiplies by a
// power of two (ldexp), also exact, so the counts equal a plain CPU loop's bit for bit.
// Threads: one per feature s, walking the T tokens of its column (adjacent threads read adjacent
// floats, so each row is read coalesced); no atomics, as each feature's stats have one writer.
// Grid: workgroups of WG features, folded into 2D (gx along x) when S / WG is large.

struct Params { T: u32, S: u32, gx: u32, _a: u32 }

const NB: u32 = 32u;           // histogram bins, a power of two
const LOG2_NB: i32 = 5;
const STRIDE: u32 = 4u + NB;   // u32 words of stats per feature

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> f: array<f32>;            // (T, S)
@group(0) @binding(2) var<storage, read_write> stats: array<u32>;  // (S, 4 + NB)

override WG: u32 = 64u;

/** floor(log2(v)) for a positive normal f32, from its exponent bits (no rounding of log2). */
fn octave(v: f32) -> i32 {
  return i32((bitcast<u32>(v) >> 23u) & 0xffu) - 127;
}

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let s = (wid.y * p.gx + wid.x) * WG + lid.x;
  if (s >= p.S) { return; }
  var n = 0u;
  var mx = 0.0;
  for (var t = 0u; t < p.T; t++) {
    let v = f[t * p.S + s];
    if (v > 0.0) { n++; mx = max(mx, v); }
  }
  if (n == 0u) { return; }
  let base = s * STRIDE;
  let seen = stats[base];
  var e = octave(mx) + 1;
  if (seen > 0u) {
    let e0 = bitcast<i32>(stats[base + 2u]);
    if (e > e0) {
      // fold the bins into the wider range (a shift of 5 or more puts all of them in bin 0)
      let d = u32(min(e - e0, LOG2_NB));
      var folded: array<u32, NB>;
      for (var i = 0u; i < NB; i++) { folded[i >> d] += stats[base + 4u + i]; }
      for (var i = 0u; i < NB; i++) { stats[base + 4u + i] = folded[i]; }
    } else {
      e = e0;
    }
  }
  stats[base] = seen + n;
  stats[base + 1u] = bitcast<u32>(max(bitcast<f32>(stats[base + 1u]), mx));
  stats[base + 2u] = bitcast<u32>(e);
  for (var t = 0u; t < p.T; t++) {
    let v = f[t * p.S + s];
    if (v > 0.0) {
      let b = min(u32(floor(ldexp(v, LOG2_NB - e))), NB - 1u);
      stats[base + 4u + b] += 1u;
    }
  }
}
