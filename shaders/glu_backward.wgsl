// The VJP of glu.wgsl, out (T, D) = act(gate) * up with gate | up side by side in (T, 2D):
//   d gate = dout * up * act'(gate),  d up = dout * act(gate)
//   ACT 0, GELU tanh form: act(g) = g s, act'(g) = s + 2 g s r k (1 + 3 · 0.044715 g²), with
//     s = sigmoid(2u), r = sigmoid(-2u), u = k (g + 0.044715 g³), k = sqrt(2/π) — the products
//     gelu_backward.wgsl uses instead of 1 ± tanh u, which cancel badly in f32
//   ACT 1, SiLU: act(g) = g σ, act'(g) = σ (1 + g (1 - σ)), σ = sigmoid(g)
// Scalar threads, so any D (the forward's vec4 path needs D % 4 == 0; the backward does not).
// Threads: one (t, i) each, writing both halves; a 2D grid for large T * D.

struct Params { n: u32, D: u32, row: u32, _a: u32 } // n = T * D; row = threads per grid row

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dout: array<f32>;           // (T, D)
@group(0) @binding(2) var<storage, read> gate_up: array<f32>;        // (T, 2D) the forward's input
@group(0) @binding(3) var<storage, read_write> dgate_up: array<f32>; // (T, 2D)

override ACT: u32 = 0u;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * p.row + gid.x;
  if (i >= p.n) { return; }
  let t = i / p.D;
  let c = i % p.D;
  let gi = t * 2u * p.D + c;
  let g = gate_up[gi];
  let u = gate_up[gi + p.D];
  var a = 0.0;  // act(g)
  var da = 0.0; // act'(g)
  if (ACT == 1u) {
    let s = 1.0 / (1.0 + exp(-g)); // g << 0: exp overflows to inf, s = 0 (not NaN)
    a = g * s;
    da = s * (1.0 + g * (1.0 - s));
  } else {
    let k = 0.7978845608028654;
    let e = exp(2.0 * clamp(k * (g + 0.044715 * g * g * g), -15.0, 15.0));
    let s = e / (1.0 + e);
    let r = 1.0 / (1.0 + e);
    a = g * s;
    da = s + 2.0 * g * s * r * k * (1.0 + 0.134145 * g * g);
  }
  dgate_up[gi] = dout[i] * u * da;
  dgate_up[gi + p.D] = dout[i] * a;
}
