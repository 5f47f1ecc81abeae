// Plain-loop twin of the RNG step in shaders/common/mulberry32.wgsl: one draw from a mulberry32
// state, as 32 bits and the next state. Rng.next() in src/model/rng.ts is bits / 2^32; the rest
// of sampling's CPU twin is sample() in src/model/sampling.ts.

export function mulberry32Bits(state: number): [bits: number, next: number] {
  const next = (state + 0x6d2b79f5) >>> 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return [(t ^ (t >>> 14)) >>> 0, next];
}
