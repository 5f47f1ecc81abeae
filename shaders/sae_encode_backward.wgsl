// The VJP of sae_encode.wgsl's nonlinearity (and sae_topk's selection): d p (T, S) from d acts,
// given the forward's activations f (T, S) after any top-k mask:
//   d p = d acts where f > 0, else 0
// f > 0 marks exactly where the activation's derivative is not zero: ReLU where p > 0, JumpReLU
// where p > threshold (the jump itself gets the straight-through zero), TopK on the kept features
// with p > 0; gated's magnitude path scales by exp(r_mag) (its gate gets zero). Then
// d x_in = d p W_encᵀ is matmul_backward_input's, and sae_norm_backward's finishes d x.
// aux (4, S) is the forward's (r_mag in row 1 for gated). Threads: one element each; 2D grid.

struct Params { n: u32, row: u32, S: u32, _a: u32 } // n = T * S; row = threads per grid row

override ARCH: u32 = 0u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> d_acts: array<f32>;   // (T, S)
@group(0) @binding(2) var<storage, read> f: array<f32>;        // (T, S) the forward's activations
@group(0) @binding(3) var<storage, read> aux: array<f32>;      // (4, S)
@group(0) @binding(4) var<storage, read_write> dp: array<f32>; // (T, S)

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * p.row + gid.x;
  if (i >= p.n) { return; }
  let gain = select(1.0, exp(aux[p.S + i % p.S]), ARCH == 3u);
  dp[i] = select(0.0, d_acts[i] * gain, f[i] > 0.0);
}
