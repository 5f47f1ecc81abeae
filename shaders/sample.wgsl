// Next-token sampling from one logits row (V) in one 256-thread workgroup, with the semantics of
// sample() in src/model/sampling.ts: candidates ordered by logit desc, ties by id asc; top-k keeps
// the first k; p_i = exp((l_i - max) / T); top-p keeps the shortest prefix whose mass reaches
// topP * z; the draw u = r * zKept picks the first candidate whose prefix mass exceeds u.
// Each cut is "the first candidate whose prefix count or mass reaches a target": a radix select
// over the 64-bit sort key (~key(logit), id), 4 bits a pass (32 key bits, then the id bits), finds
// it without sorting. A pass counts (workgroup atomics) and weighs (per-thread df32 sums, then a
// workgroup reduction) the 16 buckets of the next digit within the current prefix; it stops when
// the chosen bucket holds one element. Greedy (temperature 0) is one argmax pass.
// out: [id (0xffffffff: NaN or infinite max logit), the draw's 32 random bits, then top-N:
//       ids (N), logits (N), softmax(l / T) over all V (N; T = 1 when greedy)].

struct Params { V: u32, top_k: u32, id_digits: u32, greedy: u32, inv_t: vec2f, top_p: vec2f }

override TOP_N: u32 = 0u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;  // (V)
@group(0) @binding(2) var<storage, read_write> rng: array<u32>;   // (1) mulberry32 state
@group(0) @binding(3) var<storage, read_write> out: array<u32>;   // (2 + 3 TOP_N)

#include "common/df32.wgsl"
#include "common/mulberry32.wgsl"

const WG: u32 = 256u;
#include "common/radix_cut.wgsl"

var<workgroup> best: array<vec2u, WG>;
var<workgroup> bad: atomic<u32>;
var<workgroup> top: array<u32, 16>;
var<workgroup> n_top: atomic<u32>;

// p_i / p_max = exp((l_i - m) / T) in df32, from the exact difference l_i - m.
fn weight(l: f32, m: f32) -> vec2f {
  if ((l - m) * p.inv_t.x < -100.0) { return vec2f(0.0); } // also l = -inf
  return df_exp(df_mul(two_sum(l, -m), p.inv_t));
}

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(local_invocation_index) lid: u32) {
  // argmax (lowest id on ties), and whether any logit is NaN
  var bh = 0xffffffffu;
  var bi = 0u;
  for (var i = lid; i < p.V; i += WG) {
    let l = logits[i];
    if ((bitcast<u32>(l) & 0x7fffffffu) > 0x7f800000u) { atomicOr(&bad, 1u); }
    let h = order(l);
    if (h < bh) { bh = h; bi = i; }
  }
  best[lid] = vec2u(bh, bi);
  workgroupBarrier();
  if (lid == 0u) {
    var b = best[0];
    for (var t = 1u; t < WG; t++) {
      let c = best[t];
      if (c.x < b.x || (c.x == b.x && c.y < b.y)) { b = c; }
    }
    let inf = (bitcast<u32>(logits[b.y]) & 0x7fffffffu) == 0x7f800000u;
    sel.done = select(0u, 1u, atomicLoad(&bad) != 0u || inf);
    sel.id = b.y;
  }
  if (workgroupUniformLoad(&sel.done) == 1u) {
    if (lid == 0u) { out[0] = 0xffffffffu; out[1] = 0u; }
    return;
  }
  let am = workgroupUniformLoad(&sel.id);
  let m = logits[am];

  if (TOP_N > 0u) { // the N best candidates, ranked, with their logits and softmax(l / T)
    let cut = select_cut(lid, COUNT, TOP_N, vec2f(0.0), ALL, m);
    var zs = vec2f(0.0);
    for (var i = lid; i < p.V; i += WG) {
      let l = logits[i];
      zs = df_add(zs, weight(l, m));
      if (within(order(l), i, cut)) { top[atomicAdd(&n_top, 1u)] = i; }
    }
    red[lid] = zs;
    workgroupBarrier();
    if (lid < TOP_N) {
      var z = vec2f(0.0);
      for (var t = 0u; t < WG; t++) { z = df_add(z, red[t]); }
      let i = top[lid];
      let h = order(logits[i]);
      var rank = 0u;
      for (var j = 0u; j < TOP_N; j++) {
        let hj = order(logits[top[j]]);
        if (hj < h || (hj == h && top[j] < i)) { rank++; }
      }
      let w = weight(logits[i], m);
      out[2u + rank] = i;
      out[2u + TOP_N + rank] = bitcast<u32>(logits[i]);
      out[2u + 2u * TOP_N + rank] = bitcast<u32>((w.x + w.y) / z.x);
    }
    workgroupBarrier(); // red is reused below
  }

  if (p.greedy == 1u) {
    if (lid == 0u) { out[0] = am; out[1] = 0u; }
    return;
  }
  // One draw of the seeded RNG (thread 0 owns the state); r = bits / 2^32 exactly, as df32.
  var st = 0u;
  var bits = 0u;
  if (lid == 0u) { st = rng[0]; bits = mulberry32(&st); }
  let r = vec2f(f32(bits >> 8u) * 5.9604644775390625e-8, f32(bits & 255u) * 2.3283064365386963e-10);
  var lim = ALL;
  if (p.top_k > 0u && p.top_k < p.V) { lim = select_cut(lid, COUNT, p.top_k, vec2f(0.0), ALL, m); }
  if (p.top_p.x < 1.0 || p.top_p.y < 0.0) { lim = select_cut(lid, REACH, 0u, p.top_p, lim, m); }
  let c = select_cut(lid, EXCEED, 0u, r, lim, m);
  if (lid == 0u) { out[0] = c.y; out[1] = bits; rng[0] = st; }
}
