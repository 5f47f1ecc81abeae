// Weights stored as f16 (the ":f16" variant of shaders that #include "common/weights.wgsl"):
// 4 halves packed in two u32 words, unpacked with unpack2x16float, which is core WGSL and needs
// no shader-f16. Storage and bandwidth halve; the arithmetic stays f32.
alias W4 = vec2<u32>;
fn w4(v: W4) -> vec4<f32> { return vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y)); }
