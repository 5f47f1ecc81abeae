// Gated MLP activation: out[t, i] = act(gate[t, i]) * up[t, i], with gate and up side by side in
// one row of the fused gate_up projection (T, 2D): gate in [0, D), up in [D, 2D).
//   ACT 0: GELU, tanh form (GeGLU: Gemma's gelu_pytorch_tanh)
//   ACT 1: SiLU, x * sigmoid(x) (SwiGLU: Llama, Qwen)
// Threads: one vec4 of outputs each (D % 4 == 0); 2D grid for large T * D.

struct Params { n4: u32, D4: u32, row: u32, _a: u32 } // n4 = T * D / 4; row = threads per grid row

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gate_up: array<vec4<f32>>;   // (T, 2D/4)
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>; // (T, D/4)

override ACT: u32 = 0u;

#include "common/gelu.wgsl"

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * p.row + gid.x;
  if (i >= p.n4) { return; }
  let t = i / p.D4;
  let c = i % p.D4;
  let g = gate_up[t * 2u * p.D4 + c];
  let u = gate_up[t * 2u * p.D4 + p.D4 + c];
  // SiLU as g / (1 + e^-g): for g << 0, e^-g overflows to inf and the quotient is -0, not NaN
  let a = select(gelu4(g), g / (1.0 + exp(-g)), ACT == 1u);
  out[i] = a * u;
}
