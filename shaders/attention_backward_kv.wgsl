// The VJP of GPT-2's causal self-attention, part 2 of 2: per key. From attention_backward's
// probabilities p and softmax gradients ds (NH, T, T), for key/value row j of head h:
//   dk_j = scale Σ_{t >= j} ds[t, j] q_t,   dv_j = Σ_{t >= j} p[t, j] dout_t
// written into dqkv's k and v thirds. The sum over queries runs in a fixed order (deterministic).
// Threads: one (j, h) each, x over j, y over h.

struct Params { T: u32, NH: u32, HS: u32, scale: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;        // (T, 3C)
@group(0) @binding(2) var<storage, read> dout: array<f32>;       // (T, C)
@group(0) @binding(3) var<storage, read> probs: array<f32>;      // (NH, T, T)
@group(0) @binding(4) var<storage, read> ds: array<f32>;         // (NH, T, T)
@group(0) @binding(5) var<storage, read_write> dqkv: array<f32>; // (T, 3C); this pass writes k's and v's thirds

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x;
  let h = gid.y;
  if (j >= p.T || h >= p.NH) { return; }
  let C = p.NH * p.HS;
  for (var i = 0u; i < p.HS; i++) {
    var dk = 0.0;
    var dv = 0.0;
    for (var t = j; t < p.T; t++) {
      let r = (h * p.T + t) * p.T + j;
      dk += ds[r] * qkv[t * 3u * C + h * p.HS + i];
      dv += probs[r] * dout[t * C + h * p.HS + i];
    }
    dqkv[j * 3u * C + C + h * p.HS + i] = dk * p.scale;
    dqkv[j * 3u * C + 2u * C + h * p.HS + i] = dv;
  }
}
