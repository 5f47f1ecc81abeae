// The steering slider's scale: fine near 0, reaching ±300. A slider position p in [-1, 1] is the
// strength 300 p^3 (p = 0.1 is 0.3, 0.3 is 8.1, 0.5 is 37.5), rounded to two significant digits;
// the number field beside it takes any value exactly.
export const MAX_STRENGTH = 300;

/** The strength at slider position p. */
export function fromSlider(p: number): number {
  const v = MAX_STRENGTH * Math.sign(p) * Math.abs(p) ** 3;
  return v === 0 ? 0 : Number(v.toPrecision(2));
}

/** The slider position that shows strength v (the ends for strengths beyond ±300). */
export function toSlider(v: number): number {
  return Math.max(-1, Math.min(1, Math.sign(v) * Math.cbrt(Math.abs(v) / MAX_STRENGTH)));
}

/** `n` strengths evenly spaced from a to b (a dose-response sweep's), two significant digits. */
export function sweepStrengths(a: number, b: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => {
    const v = a + ((b - a) * i) / Math.max(1, n - 1);
    return v === 0 ? 0 : Number(v.toPrecision(3));
  });
}
