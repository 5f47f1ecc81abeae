// The plain-JS half conversion against the browser's own Float16Array (ties to even, by spec):
// the worker converts with the native one, Node (and older browsers) with ours.
import { describe, expect, it } from 'vitest';
import { toHalf } from '../../src/gpu/f16';
import { Rng } from '../../src/model/rng';

describe('f16 conversion in the browser', () => {
  it('plain JS rounds exactly as the native Float16Array does', () => {
    expect((globalThis as { Float16Array?: unknown }).Float16Array, 'this Chromium has Float16Array').toBeDefined();
    const rng = new Rng(3);
    const x = Float32Array.from({ length: 100000 }, (_, i) => rng.normal() * 2 ** ((i % 50) - 30));
    x.set([0, -0, 65504, 65519.99, 65520, 1e9, -1e9, 2 ** -25, 3 * 2 ** -25, 2 ** -14 - 2 ** -26, Infinity, -Infinity]);
    expect(toHalf(x, false)).toEqual(toHalf(x, true));
  });
});
