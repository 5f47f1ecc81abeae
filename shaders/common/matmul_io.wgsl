// The bindings and the output of the prefill matmuls (matmul.wgsl, matmul_tiled.wgsl):
// out[M, N] = a[M, K] @ b[K, N] + bias[N], then EPILOGUE, which fuses the op that follows:
//   0 none; 1 GELU (out = gelu(a b + bias), for mlp.c_fc); 2 residual add (out += a b + bias).
// The including shader also includes common/gelu.wgsl and common/weights.wgsl (W4).

struct Params { M: u32, N: u32, K: u32, _pad: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;         // (M, K/4)
@group(0) @binding(2) var<storage, read> b: array<W4>;                // (K, N/4)
@group(0) @binding(3) var<storage, read> bias: array<vec4<f32>>;      // (N/4)
@group(0) @binding(4) var<storage, read_write> out: array<vec4<f32>>; // (M, N/4)

override EPILOGUE: u32 = 0u;

/** Writes row m, columns 4 n4..4 n4+3 of out (bias and epilogue applied); rows past M and columns past N are skipped. */
fn store(m: u32, n4: u32, v: vec4<f32>) {
  if (m >= p.M || n4 >= p.N / 4u) { return; }
  let i = m * (p.N / 4u) + n4;
  var r = v + bias[n4];
  if (EPILOGUE == 1u) { r = gelu4(r); }
  if (EPILOGUE == 2u) { r += out[i]; }
  out[i] = r;
}
