// Causal multi-head attention against the KV cache, for prefill (T queries) and decode (T = 1)
// alike. The query at chunk row t sits at absolute position i = pos0 + t and attends to cache
// rows max(0, i - window + 1)..i (window 0: all of 0..i; kv_append has already written this
// chunk's keys and values). Grouped-query: head h reads KV head h / group.
//   s_j = q . k_j * scale;  s_j = softcap * tanh(s_j / softcap) when softcap > 0
//   out[t, h*HS + d] = sum_j softmax_j(s) v_j[d]
// GPT-2 is the special case q_stride = 3C, kv_width = C, group 1, window 0, no soft-cap.
// One workgroup of WG threads per (t, h) (64 on GPUs, 4 on CPU adapters: see gpu.ts). Phase 1:
// each thread scores a strided set of keys into workgroup memory. Phase 2: max and sum
// reductions (softmax with the max subtracted). Phase 3: threads over d accumulate the weighted
// values; reads of v_j are contiguous across threads. Grid: (T, NH, SPLITS).

struct Params {
  T: u32, NH: u32, HS: u32, q_stride: u32, // q of (t, h) at qkv[t * q_stride + h * HS]
  kv_width: u32, group: u32, window: u32, _a: u32, // cache rows are kv_width = NKV * HS wide
  scale: f32, softcap: f32, _b: u32, _c: u32,
}
struct Step { pos0: u32, _a: u32, _b: u32, _c: u32 }

override MAX_CTX: u32 = 1024u; // longest run of keys the scores array holds
override MAX_HS: u32 = 256u;   // largest head size

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> qkv: array<f32>;       // (T, q_stride), q heads first
@group(0) @binding(3) var<storage, read> k_cache: array<f32>;   // (n_ctx, kv_width)
@group(0) @binding(4) var<storage, read> v_cache: array<f32>;   // (n_ctx, kv_width)
@group(0) @binding(5) var<storage, read_write> out: array<f32>; // (T, NH * HS)

override WG: u32 = 64u; // threads per (query, head)
// 0: one workgroup per (query, head) covers every key. > 0 (GPUs, decode): grid z splits the keys
// in chunks of SPLIT_KEYS, so a long context keeps many workgroups busy (flash-decoding); each
// writes a partial softmax that attention_combine.wgsl merges.
override SPLIT_KEYS: u32 = 0u;
var<workgroup> scores: array<f32, MAX_CTX>;
var<workgroup> q: array<f32, MAX_HS>;
#include "common/reduce.wgsl"

@compute @workgroup_size(WG, 1, 1)
fn main(l: Lanes, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let lid = l.lid.x;
  let t = wid.x;
  let h = wid.y;
  let kv_head = (h / p.group) * p.HS;
  let n_all = step.pos0 + t + 1u;
  let first = select(0u, n_all - min(n_all, p.window), p.window > 0u);
  // this workgroup's keys: all of them, or the split's chunk (scores[] is indexed from j0)
  let j0 = select(first, max(first, wid.z * SPLIT_KEYS), SPLIT_KEYS > 0u);
  let n_keys = select(n_all, min(n_all, wid.z * SPLIT_KEYS + SPLIT_KEYS), SPLIT_KEYS > 0u);
  for (var d = lid; d < p.HS; d += WG) { q[d] = qkv[t * p.q_stride + h * p.HS + d]; }
  workgroupBarrier();

  var m = -3.4e38;
  for (var j = j0 + lid; j < n_keys; j += WG) {
    var s = 0.0;
    let kb = j * p.kv_width + kv_head;
    for (var d = 0u; d < p.HS; d++) { s += q[d] * k_cache[kb + d]; }
    s *= p.scale;
    if (p.softcap > 0.0) { s = p.softcap * tanh(s / p.softcap); }
    scores[j - j0] = s;
    m = max(m, s);
  }
  m = reduce_max(l, m);
  var z = 0.0;
  for (var j = j0 + lid; j < n_keys; j += WG) {
    let e = exp(scores[j - j0] - m);
    scores[j - j0] = e;
    z += e;
  }
  z = reduce_sum(l, z); // the barrier inside also publishes scores[] to all threads
  // split: out holds partials (T, NH, SPLITS, HS + 2): unnormalised sums, then m and z
  let base = ((t * p.NH + h) * nwg.z + wid.z) * (p.HS + 2u);
  let inv_z = select(1.0 / z, 1.0, SPLIT_KEYS > 0u);
  for (var d = lid; d < p.HS; d += WG) {
    var acc = 0.0;
    for (var j = j0; j < n_keys; j++) { acc += scores[j - j0] * v_cache[j * p.kv_width + kv_head + d]; }
    if (SPLIT_KEYS > 0u) { out[base + d] = acc; } else { out[(t * p.NH + h) * p.HS + d] = acc * inv_z; }
  }
  if (SPLIT_KEYS > 0u && lid == 0u) {
    out[base + p.HS] = m;
    out[base + p.HS + 1u] = z;
  }
}
