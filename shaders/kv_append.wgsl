// Append this chunk's keys and values to the layer's KV cache, kept on the GPU:
// k_cache[pos0 + t, c] = qkv[t, C + c];  v_cache[pos0 + t, c] = qkv[t, 2C + c].
// Threads: x over channels c, y over tokens t.

struct Params { T: u32, C: u32, _a: u32, _b: u32 }
struct Step { pos0: u32, _a: u32, _b: u32, _c: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> qkv: array<f32>;           // (T, 3C)
@group(0) @binding(3) var<storage, read_write> k_cache: array<f32>; // (n_ctx, C)
@group(0) @binding(4) var<storage, read_write> v_cache: array<f32>; // (n_ctx, C)

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  let t = gid.y;
  if (c >= p.C || t >= p.T) { return; }
  let dst = (step.pos0 + t) * p.C + c;
  k_cache[dst] = qkv[t * 3u * p.C + p.C + c];
  v_cache[dst] = qkv[t * 3u * p.C + 2u * p.C + c];
}
