// Append this chunk's keys and values to the layer's KV cache, kept on the GPU:
//   k_cache[pos0 + t, c] = qkv[t, k_off + c];  v_cache[pos0 + t, c] = qkv[t, k_off + W + c]
// qkv rows are `stride` wide: GPT-2's (T, 3C) has k at C and W = C; a grouped-query decoder's
// (T, (NH + 2 NKV) HS) has k at NH HS and W = NKV HS, so the cache holds KV heads only.
// Threads: x over channels c, y over tokens t.

struct Params { T: u32, W: u32, stride: u32, k_off: u32 }
struct Step { pos0: u32, _a: u32, _b: u32, _c: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> qkv: array<f32>;           // (T, stride)
@group(0) @binding(3) var<storage, read_write> k_cache: array<f32>; // (n_ctx, W)
@group(0) @binding(4) var<storage, read_write> v_cache: array<f32>; // (n_ctx, W)

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  let t = gid.y;
  if (c >= p.W || t >= p.T) { return; }
  let dst = (step.pos0 + t) * p.W + c;
  let src = t * p.stride + p.k_off + c;
  k_cache[dst] = qkv[src];
  v_cache[dst] = qkv[src + p.W];
}
