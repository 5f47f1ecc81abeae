// The VJP of GELU, tanh approximation (GPT-2 "gelu_new"), elementwise over n values:
//   dx = dy * (0.5 (1 + tanh u) + 0.5 x (1 - tanh² u) k (1 + 3 · 0.044715 x²)),
//   u = k (x + 0.044715 x³), k = sqrt(2/π); x is the forward's input (before GELU).
// In f32, 1 + tanh u and 1 - tanh² u cancel badly where tanh u is near -1 (x < -2: absolute
// errors of 5e-6 on SwiftShader). With s = sigmoid(2u) and r = sigmoid(-2u) they are exact
// products instead: 0.5 (1 + tanh u) = s and 1 - tanh² u = 4 s r. u is clamped to ±15 as in
// common/gelu.wgsl, so exp stays finite (there s and r are 0 or 1 in f32 anyway).
// Threads: one value each; a 2D grid so n may exceed 65535 * 256 (row = threads per grid row).

struct Params { n: u32, row: u32, _a: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;       // (n)
@group(0) @binding(2) var<storage, read> x: array<f32>;        // (n) the forward's input
@group(0) @binding(3) var<storage, read_write> dx: array<f32>; // (n)

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * p.row + gid.x;
  if (i >= p.n) { return; }
  let v = x[i];
  let k = 0.7978845608028654;
  let e = exp(2.0 * clamp(k * (v + 0.044715 * v * v * v), -15.0, 15.0));
  let s = e / (1.0 + e);   // sigmoid(2u) = 0.5 (1 + tanh u)
  let r = 1.0 / (1.0 + e); // sigmoid(-2u) = 0.5 (1 - tanh u)
  dx[i] = dy[i] * (s + 2.0 * v * s * r * k * (1.0 + 0.134145 * v * v));
}
