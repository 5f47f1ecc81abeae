// Comparison helpers shared by node and GPU tests, in the llm.c style: |got - ref| <= atol +
// rtol * |ref|, and on a mismatch, the max diff and the first offending values.
import { expect } from 'vitest';

export function compare(got: ArrayLike<number>, ref: ArrayLike<number>, atol: number, rtol: number) {
  let maxDiff = 0;
  let bad = 0;
  const firstBad: string[] = [];
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(got[i] - ref[i]);
    if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? NaN : Math.max(maxDiff, d);
    if (!(d <= atol + rtol * Math.abs(ref[i]))) {
      bad++;
      if (firstBad.length < 5) firstBad.push(`[${i}] got ${got[i]} ref ${ref[i]}`);
    }
  }
  return { maxDiff, bad, firstBad };
}

export function expectClose(name: string, got: ArrayLike<number>, ref: ArrayLike<number>, atol = 1e-5, rtol = 1e-4): void {
  expect(got.length, `${name}: length`).toBe(ref.length);
  const { maxDiff, bad, firstBad } = compare(got, ref, atol, rtol);
  const msg = `${name}: ${bad}/${ref.length} values outside atol ${atol} + rtol ${rtol}; max |diff| ${maxDiff}; ${firstBad.join(', ')}`;
  expect(bad, msg).toBe(0);
}

/** Top-k lists agree: values within tolerance, ids equal wherever the order is not a near-tie. */
export function expectTopkClose(name: string, idx: Uint32Array, val: Float32Array, ref: { idx: Uint32Array; val: Float32Array }) {
  expectClose(`${name} values`, val, ref.val, 1e-3, 1e-3);
  for (let i = 0; i < idx.length; i++) {
    const nearTie = [i - 1, i + 1].some((j) => j >= 0 && j < idx.length && Math.abs(ref.val[j] - ref.val[i]) < 1e-3);
    if (!nearTie && ref.val[i] > 1e-3) expect(idx[i], `${name} id at ${i}`).toBe(ref.idx[i]);
  }
}

export function argmaxRows(x: ArrayLike<number>, rows: number, cols: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (x[r * cols + c] > x[r * cols + best]) best = c;
    out.push(best);
  }
  return out;
}
