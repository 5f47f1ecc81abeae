// SAE encoder nonlinearity, in place on the pre-activations f (T, S) that matmul/matvec wrote:
//   standard (ARCH 0): f = ReLU(p)                     p = x_in W_enc + b_enc
//   jumprelu (ARCH 1): f = ReLU(p) * [p > threshold]   p = x_in W_enc + b_enc
//   topk     (ARCH 2): f = p (sae_topk keeps the top k, then ReLU)
//   gated    (ARCH 3): f = [p > 0] * ReLU((p - b_gate) * exp(r_mag) + b_mag)
//                      p = x_in W_enc + b_gate, so (p - b_gate) * exp(r_mag) is x_in (W_enc * exp(r_mag))
// aux is (4, S): threshold in row 0 (jumprelu); b_gate, r_mag, b_mag in rows 0..2 (gated); the
// encoder bias (b_enc, or b_gate) in row 3, added here when ADD_BIAS (the single-token path
// computes p with the bias-free `logits` kernel over W_enc^T, see src/sae/sae.ts).
// Threads: one element each; 2D grid so T * S may exceed 65535 * 256.

struct Params { n: u32, row: u32, S: u32, _a: u32 } // n = T * S; row = threads per grid row

override ARCH: u32 = 0u;
override ADD_BIAS: bool = false;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> f: array<f32>; // (T, S)
@group(0) @binding(2) var<storage, read> aux: array<f32>;     // (4, S), see above

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * p.row + gid.x;
  if (i >= p.n) { return; }
  let s = i % p.S;
  let v = f[i] + select(0.0, aux[3u * p.S + s], ADD_BIAS);
  switch ARCH {
    case 0u: { f[i] = max(v, 0.0); }
    case 1u: { f[i] = select(0.0, max(v, 0.0), v > aux[s]); }
    case 3u: {
      let mag = (v - aux[s]) * exp(aux[p.S + s]) + aux[2u * p.S + s];
      f[i] = select(0.0, max(mag, 0.0), v > 0.0);
    }
    default: { f[i] = v; }
  }
}
