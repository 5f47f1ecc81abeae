// mulberry32, bit for bit as src/model/rng.ts (u32 products wrap like Math.imul): advances the
// state by 0x6d2b79f5 and returns 32 random bits; Rng.next() is these bits / 2^32.
fn mulberry32(state: ptr<function, u32>) -> u32 {
  *state = *state + 0x6d2b79f5u;
  var t = *state;
  t = (t ^ (t >> 15u)) * (t | 1u);
  t = t ^ (t + (t ^ (t >> 7u)) * (t | 61u));
  return t ^ (t >> 14u);
}
