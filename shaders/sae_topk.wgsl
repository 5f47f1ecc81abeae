// Per-token top-k of f (T, S) on the GPU: only these cross to the main thread.
// One 256-thread workgroup per token. Radix select finds the exact k-th largest value in four
// 8-bit passes over order-preserving u32 keys (a histogram per round in workgroup atomics); a
// last round collects the k winners, which are ranked by (value desc, index asc) and written out.
//   MASK = false (k <= 64): idx/val get the winners with value > 0, the rest idx = 0xffffffff, val = 0.
//   SIGNED = true (k <= 64): the same, keeping winners of any sign (the logit lens's top logits).
//   MASK = true (TopK SAEs, any k): rewrites f in place as ReLU(f) on the winners and 0 elsewhere,
//     and writes no idx/val (ties at the k-th value all stay: measure-zero for real activations).

struct Params { S: u32, K: u32, _a: u32, _b: u32 }

override MASK: bool = false;
override SIGNED: bool = false;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> f: array<f32>;   // (T, S)
@group(0) @binding(2) var<storage, read_write> idx: array<u32>; // (T, K)
@group(0) @binding(3) var<storage, read_write> val: array<f32>; // (T, K)

const WG: u32 = 256u;
var<workgroup> hist: array<atomic<u32>, 256>;
var<workgroup> n_gt: atomic<u32>;
var<workgroup> n_eq: atomic<u32>;
var<workgroup> chosen: vec2<u32>; // (digit, elements still wanted at or below it)
var<workgroup> cand_i: array<u32, 64>;
var<workgroup> cand_v: array<f32, 64>;

// Order-preserving map from f32 to u32: larger float, larger key.
fn key(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(local_invocation_id) lid3: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let lid = lid3.x;
  let base = wid.x * p.S;
  let k = min(p.K, p.S);
  var want = k;      // winners still to place among keys matching the prefix
  var prefix = 0u;
  var mask = 0u;
  for (var round = 0u; round < 4u; round++) {
    let shift = 24u - 8u * round;
    atomicStore(&hist[lid], 0u);
    workgroupBarrier();
    for (var s = lid; s < p.S; s += WG) {
      let kk = key(f[base + s]);
      if ((kk & mask) == prefix) { atomicAdd(&hist[(kk >> shift) & 255u], 1u); }
    }
    workgroupBarrier();
    if (lid == 0u) {
      var cum = 0u;
      var b = 255i;
      for (; b >= 0i; b--) {
        let h = atomicLoad(&hist[b]);
        if (cum + h >= want) { break; }
        cum += h;
      }
      chosen = vec2<u32>(u32(max(b, 0i)), want - cum);
    }
    workgroupBarrier();
    let c = chosen;
    prefix |= c.x << shift;
    mask |= 255u << shift;
    want = c.y;
    workgroupBarrier(); // everyone has read `chosen` before it is written again
  }
  // prefix is now the k-th largest key; (k - want) keys are above it, `want` equal ones are needed.
  if (lid == 0u) { atomicStore(&n_gt, 0u); atomicStore(&n_eq, 0u); }
  workgroupBarrier();
  for (var s = lid; s < p.S; s += WG) {
    let v = f[base + s];
    let kk = key(v);
    if (MASK) {
      f[base + s] = select(0.0, max(v, 0.0), kk >= prefix);
    } else if (kk > prefix) {
      let slot = atomicAdd(&n_gt, 1u);
      cand_i[slot] = s;
      cand_v[slot] = v;
    } else if (kk == prefix) {
      let e = atomicAdd(&n_eq, 1u);
      if (e < want) { cand_i[k - want + e] = s; cand_v[k - want + e] = v; }
    }
  }
  workgroupBarrier();
  if (!MASK && lid < p.K) {
    var out_i = 0xffffffffu;
    var out_v = 0.0;
    var rank = lid;
    if (lid < k) {
      let vi = cand_v[lid];
      let ii = cand_i[lid];
      rank = 0u;
      for (var j = 0u; j < k; j++) {
        let vj = cand_v[j];
        if (vj > vi || (vj == vi && cand_i[j] < ii)) { rank++; }
      }
      if (vi > 0.0 || SIGNED) { out_i = ii; out_v = vi; }
    }
    idx[wid.x * p.K + rank] = out_i;
    val[wid.x * p.K + rank] = out_v;
  }
}
