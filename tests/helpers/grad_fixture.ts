// Loading the torch-autograd gradient fixtures (tools/grad_reference.py) and comparing against
// them: per layer, max |got - ref| <= rtol * max |ref| (a relative error on the layer's scale,
// since single gradient entries near zero have no meaningful relative error).
import { expect } from 'vitest';

export interface GradFixture {
  input_ids: number[];
  n_layer: number;
  d_model: number;
  targets: Record<string, { position: number; token: number; minus_token: number | null; grad_resid_pre: number[][] }>;
}

/** max |got - ref| / max |ref|. */
export function scaledMaxDiff(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    d = Math.max(d, Math.abs(got[i] - ref[i]));
    m = Math.max(m, Math.abs(ref[i]));
  }
  return Number.isNaN(got[0]) ? NaN : d / m;
}

export function expectScaledClose(name: string, got: ArrayLike<number>, ref: ArrayLike<number>, rtol: number): number {
  expect(got.length, `${name}: length`).toBe(ref.length);
  const r = scaledMaxDiff(got, ref);
  const first = Array.from({ length: Math.min(4, ref.length) }, (_, i) => `[${i}] got ${got[i]} ref ${ref[i]}`).join(', ');
  expect(r, `${name}: max |diff| / max |ref| = ${r}; ${first}`).toBeLessThanOrEqual(rtol);
  return r;
}
