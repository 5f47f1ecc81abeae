// The radix cut behind sampling (see sample.wgsl): select_cut() finds the first candidate, in the
// order (logit desc, id asc), whose prefix count or mass meets a target. The including shader
// defines WG (256), `p` (with V and id_digits), `logits`, weight(l, m) and includes df32.wgsl.
// Call it from uniform control flow: it has barriers.

const COUNT: u32 = 0u;  // first candidate whose prefix count >= target
const REACH: u32 = 1u;  // ... whose prefix mass >= target (top-p)
const EXCEED: u32 = 2u; // ... whose prefix mass > target (the draw)
const ALL = vec2u(0xffffffffu);

struct Sel { mode: u32, k: u32, f: vec2f, pf: vec2u, mk: vec2u, done: u32, id: u32 }

var<workgroup> cnt: array<atomic<u32>, 16>;
var<workgroup> wit: array<atomic<u32>, 16>; // some element of each bucket (the one, when count = 1)
var<workgroup> red: array<vec2f, 1024>;
var<workgroup> part: array<vec2f, 64>;
var<workgroup> mass: array<vec2f, 16>;
var<workgroup> sel: Sel;

// ~order-preserving key: ascending = logit descending; -0 sorts as +0 (the CPU finds them equal).
fn order(v: f32) -> u32 {
  var b = bitcast<u32>(v);
  if ((b & 0x7fffffffu) == 0u) { b = 0u; }
  return ~select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

// (h, i) at or before the limit in candidate order.
fn within(h: u32, i: u32, lim: vec2u) -> bool { return h < lim.x || (h == lim.x && i <= lim.y); }

fn digit(h: u32, i: u32, round: u32) -> u32 {
  if (round < 8u) { return (h >> (28u - 4u * round)) & 15u; }
  return (i >> (4u * (p.id_digits - 1u - (round - 8u)))) & 15u;
}

// Sums each thread's 16 bucket masses over the workgroup into mass[], 4 buckets at a time.
fn reduce_buckets(lid: u32, ms: ptr<function, array<vec2f, 16>>) {
  for (var c = 0u; c < 4u; c++) {
    for (var j = 0u; j < 4u; j++) { red[j * WG + lid] = (*ms)[4u * c + j]; }
    workgroupBarrier();
    if (lid < 64u) {
      var s = vec2f(0.0);
      for (var t = 0u; t < 16u; t++) { s = df_add(s, red[(lid >> 4u) * WG + (lid & 15u) * 16u + t]); }
      part[lid] = s;
    }
    workgroupBarrier();
    if (lid < 4u) {
      var s = vec2f(0.0);
      for (var t = 0u; t < 16u; t++) { s = df_add(s, part[lid * 16u + t]); }
      mass[4u * c + lid] = s;
    }
  }
  workgroupBarrier();
}

// Thread 0: picks the bucket where the target is met, narrows the prefix, subtracts what lies before.
fn choose(round: u32) {
  var cum_c = 0u;
  var cum_m = vec2f(0.0);
  if (round == 0u && sel.mode != COUNT) { // target = fraction * the whole set's mass
    var z = vec2f(0.0);
    for (var d = 0u; d < 16u; d++) { z = df_add(z, mass[d]); }
    sel.f = df_mul(sel.f, z);
  }
  var c = 16u;
  var last = 0u;
  for (var d = 0u; d < 16u; d++) {
    let n = atomicLoad(&cnt[d]);
    if (n == 0u) { continue; }
    last = d;
    let m = df_add(cum_m, mass[d]);
    if ((sel.mode == COUNT && cum_c + n >= sel.k) || (sel.mode == REACH && df_ge(m, sel.f)) ||
        (sel.mode == EXCEED && df_gt(m, sel.f))) { c = d; break; }
    cum_c += n;
    cum_m = m;
  }
  if (c == 16u) { c = last; sel.mode = COUNT; sel.k = atomicLoad(&cnt[c]); } // rounding: the CPU's ids[n-1]
  else { sel.k -= cum_c; sel.f = df_add(sel.f, -cum_m); }
  let s = select(4u * (p.id_digits + 7u - round), 28u - 4u * round, round < 8u);
  if (round < 8u) { sel.pf.x |= c << s; sel.mk.x |= 15u << s; } else { sel.pf.y |= c << s; sel.mk.y |= 15u << s; }
  if (atomicLoad(&cnt[c]) == 1u) { sel.done = 1u; sel.id = atomicLoad(&wit[c]); }
}

// The first candidate within `lim` whose prefix count (k) or mass (f * the set's mass) meets the mode.
fn select_cut(lid: u32, mode: u32, k: u32, f: vec2f, lim: vec2u, m: f32) -> vec2u {
  if (lid == 0u) { sel = Sel(mode, k, f, vec2u(0u), vec2u(0u), 0u, 0u); }
  var ms: array<vec2f, 16>;
  for (var round = 0u; round < 8u + p.id_digits; round++) {
    if (lid < 16u) { atomicStore(&cnt[lid], 0u); }
    workgroupBarrier();
    let s = sel;
    ms = array<vec2f, 16>(); // explicitly: SwiftShader kept a loop-local var's values across rounds
    for (var i = lid; i < p.V; i += WG) {
      let l = logits[i];
      let h = order(l);
      if (!within(h, i, lim) || (h & s.mk.x) != s.pf.x || (i & s.mk.y) != s.pf.y) { continue; }
      let d = digit(h, i, round);
      atomicAdd(&cnt[d], 1u);
      atomicStore(&wit[d], i);
      if (mode != COUNT) { ms[d] = df_add(ms[d], weight(l, m)); }
    }
    if (mode != COUNT) { reduce_buckets(lid, &ms); } else { workgroupBarrier(); }
    if (lid == 0u) { choose(round); }
    if (workgroupUniformLoad(&sel.done) == 1u) { break; }
  }
  let id = workgroupUniformLoad(&sel.id);
  return vec2u(order(logits[id]), id);
}
