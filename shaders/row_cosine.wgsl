// Cosine similarity of every row of W (S, C) with one of its rows, q:
//   out[s] = W[s] . W[q] / max(|W[s]| |W[q]|, 1e-8)
// For an SAE's W_dec this is Neuronpedia's decoder-cosine neighbour score (eps as torch's
// cosine_similarity; a zero row scores 0). W is f32, read as vec4 along C (C % 4 == 0).
// LANES threads share one row and stride along C, as in logits.wgsl:
//   LANES = 1 (CPU adapters): each thread streams its own row in 16-byte reads.
//   LANES = 32 (GPUs): 32 threads read 512 contiguous bytes of a row at a time (coalesced); the
//     partial sums (W[s].W[q], |W[s]|^2, |W[q]|^2) are added in workgroup memory.
// Grid: blocks of WG / LANES rows, folded into 2D (x: gx blocks, y: ceil) when S is large.

struct Params { C4: u32, S: u32, q: u32, gx: u32 } // C4 = C / 4; gx = workgroups along x

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<vec4<f32>>;   // (S, C/4)
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // (S)

override WG: u32 = 64u;
override LANES: u32 = 1u; // threads per row; divides WG

var<workgroup> part: array<vec3<f32>, WG>;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let s = (wid.y * p.gx + wid.x) * (WG / LANES) + lid.x / LANES;
  let lane = lid.x % LANES;
  var wq = vec4<f32>(0.0);
  var ww = vec4<f32>(0.0);
  var qq = vec4<f32>(0.0);
  if (s < p.S) {
    let wb = s * p.C4;
    let qb = p.q * p.C4;
    for (var c = lane; c < p.C4; c += LANES) {
      let a = w[wb + c];
      let b = w[qb + c];
      wq += a * b;
      ww += a * a;
      qq += b * b;
    }
  }
  let one = vec4<f32>(1.0);
  var acc = vec3<f32>(dot(wq, one), dot(ww, one), dot(qq, one));
  if (LANES > 1u) {
    part[lid.x] = acc;
    workgroupBarrier();
    if (lane != 0u) { return; }
    for (var i = 1u; i < LANES; i++) { acc += part[lid.x + i]; }
  }
  if (s < p.S) { out[s] = acc.x / max(sqrt(acc.y) * sqrt(acc.z), 1e-8); }
}
