// Per-token activations of chosen features: out[t, j] = f[t, ids[j]], so the UI can get the full
// vector of a few features without reading back f (T, S). Threads: x over j, y over t.

struct Params { T: u32, S: u32, n: u32, _a: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> f: array<f32>;         // (T, S)
@group(0) @binding(2) var<storage, read> ids: array<u32>;       // (n)
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // (T, n)

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x;
  let t = gid.y;
  if (j >= p.n || t >= p.T) { return; }
  out[t * p.n + j] = f[t * p.S + ids[j]];
}
