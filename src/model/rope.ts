// The rotary embedding's cos/sin table, computed once on the CPU: the angle pos * inv_freq[i] is
// rounded to f32 as Hugging Face computes it (an f32 product), then cos and sin are taken in f64
// and rounded, which matches torch's f32 cos/sin to an ulp at any angle.

/** (nCtx, HS/2) pairs (cos, sin) of pos * invFreq[i], as a flat Float32Array of nCtx * HS. */
export function ropeTable(invFreq: ArrayLike<number>, nCtx: number): Float32Array {
  const half = invFreq.length;
  const out = new Float32Array(nCtx * half * 2);
  for (let pos = 0; pos < nCtx; pos++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(pos * Math.fround(invFreq[i]));
      out[(pos * half + i) * 2] = Math.cos(angle);
      out[(pos * half + i) * 2 + 1] = Math.sin(angle);
    }
  }
  return out;
}
