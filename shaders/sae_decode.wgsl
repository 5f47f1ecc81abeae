// SAE decoder, sparse: x_hat[t, :] = (sum_s f[t, s] W_dec[s, :] + b_dec) * dec_scale[t] + dec_shift[t]
// (the last two undo the input normalization; (1, 0) when there is none).
// Only the non-zero features are read: one workgroup per (token, block of 1024 columns) walks S
// in chunks of 256, compacts the non-zeros of each chunk into workgroup memory, then every thread
// adds those rows of W_dec for its 4 columns (c = cb*1024 + lid + 256j; reads contiguous across
// threads). Cost scales with L0, not with S.

struct Params { S: u32, C: u32, _a: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> f: array<f32>;          // (T, S)
@group(0) @binding(2) var<storage, read> w_dec: array<f32>;      // (S, C)
@group(0) @binding(3) var<storage, read> b_dec: array<f32>;      // (C)
@group(0) @binding(4) var<storage, read> stats: array<vec2<f32>>; // (T): (dec_scale, dec_shift)
@group(0) @binding(5) var<storage, read_write> x_hat: array<f32>; // (T, C)

const WG: u32 = 256u;
var<workgroup> list_s: array<u32, WG>;
var<workgroup> list_v: array<f32, WG>;
var<workgroup> count: atomic<u32>;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(local_invocation_id) lid3: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let lid = lid3.x;
  let t = wid.x;
  let c0 = wid.y * 1024u + lid;
  var acc = vec4<f32>(0.0); // columns c0, c0 + 256, c0 + 512, c0 + 768
  for (var s0 = 0u; s0 < p.S; s0 += WG) {
    if (lid == 0u) { atomicStore(&count, 0u); }
    workgroupBarrier();
    let s = s0 + lid;
    if (s < p.S) {
      let v = f[t * p.S + s];
      if (v != 0.0) {
        let slot = atomicAdd(&count, 1u);
        list_s[slot] = s;
        list_v[slot] = v;
      }
    }
    workgroupBarrier();
    let m = atomicLoad(&count);
    for (var i = 0u; i < m; i++) {
      let row = list_s[i] * p.C;
      let v = list_v[i];
      for (var j = 0u; j < 4u; j++) {
        let c = c0 + 256u * j;
        if (c < p.C) { acc[j] += v * w_dec[row + c]; }
      }
    }
    workgroupBarrier(); // the list is rewritten by the next chunk
  }
  let st = stats[t];
  for (var j = 0u; j < 4u; j++) {
    let c = c0 + 256u * j;
    if (c < p.C) { x_hat[t * p.C + c] = (acc[j] + b_dec[c]) * st.x + st.y; }
  }
}
