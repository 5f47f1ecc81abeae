// The VJP of causal self-attention, part 2 of 2: per key. From attention_backward's
// probabilities p and score gradients da (NH, T, T), for key/value row j of KV head kh, summing
// over the query heads h of its group (h / (NH / NKV) = kh) and the queries t that see key j
// (j <= t, and t < j + W with a sliding window W > 0):
//   dk_j = scale Σ_h Σ_t da[h, t, j] q_{t,h},   dv_j = Σ_h Σ_t p[h, t, j] dout_{t,h}
// written into dqkv's k and v heads (layout as attention_backward.wgsl). The sums run in a fixed
// order (deterministic). Threads: one (j, kh) each, x over j, y over kh.

struct Params { T: u32, NH: u32, NKV: u32, HS: u32, stride: u32, window: u32, scale: f32, softcap: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;        // (T, stride)
@group(0) @binding(2) var<storage, read> dout: array<f32>;       // (T, NH HS)
@group(0) @binding(3) var<storage, read> probs: array<f32>;      // (NH, T, T)
@group(0) @binding(4) var<storage, read> ds: array<f32>;         // (NH, T, T)
@group(0) @binding(5) var<storage, read_write> dqkv: array<f32>; // (T, stride); this pass writes the k and v heads

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x;
  let kh = gid.y;
  if (j >= p.T || kh >= p.NKV) { return; }
  let D = p.NH * p.HS;
  let group = p.NH / p.NKV;
  let t1 = select(p.T, min(p.T, j + p.window), p.window > 0u); // queries j..t1-1 see key j
  for (var i = 0u; i < p.HS; i++) {
    var dk = 0.0;
    var dv = 0.0;
    for (var h = kh * group; h < (kh + 1u) * group; h++) {
      for (var t = j; t < t1; t++) {
        let r = (h * p.T + t) * p.T + j;
        dk += ds[r] * qkv[t * p.stride + h * p.HS + i];
        dv += probs[r] * dout[t * D + h * p.HS + i];
      }
    }
    dqkv[j * p.stride + D + kh * p.HS + i] = dk * p.scale;
    dqkv[j * p.stride + D + (p.NKV + kh) * p.HS + i] = dv;
  }
}
