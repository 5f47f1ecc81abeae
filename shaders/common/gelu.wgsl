// GELU, tanh approximation (GPT-2's "gelu_new"), on a vec4:
// x = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
// The tanh argument is clamped to +-15: some backends compute tanh as a ratio of exponentials,
// which overflows to inf/inf = NaN for large |x|; tanh(15) is 1 in f32 anyway.
fn gelu4(v: vec4<f32>) -> vec4<f32> {
  let u = clamp(0.7978845608028654 * (v + 0.044715 * v * v * v), vec4<f32>(-15.0), vec4<f32>(15.0));
  return 0.5 * v * (1.0 + tanh(u));
}
