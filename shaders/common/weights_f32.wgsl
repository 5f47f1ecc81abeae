// Weights stored as f32 (the default variant of shaders that #include "common/weights.wgsl").
// W4 is one stored group of 4 weights; w4() gives them as a vec4<f32>.
alias W4 = vec4<f32>;
fn w4(v: W4) -> vec4<f32> { return v; }
