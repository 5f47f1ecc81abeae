// GELU, tanh approximation (GPT-2's "gelu_new"), in place over n elements:
// x = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
// The tanh argument is clamped to +-15: some backends compute tanh as a ratio of exponentials,
// which overflows to inf/inf = NaN for large |x|; tanh(15) is 1 in f32 anyway.
// Threads: one element each; 2D grid so n may exceed 65535 * 256.

struct Params { n: u32, row: u32, _a: u32, _b: u32 } // row = threads per grid row

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>; // (n)

const K: f32 = 0.7978845608028654; // sqrt(2 / pi)

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * p.row + gid.x;
  if (i >= p.n) { return; }
  let v = x[i];
  let u = clamp(K * (v + 0.044715 * v * v * v), -15.0, 15.0);
  x[i] = 0.5 * v * (1.0 + tanh(u));
}
