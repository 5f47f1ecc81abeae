import type { Dispatch, Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

export const MAX_STEERING = 64;
export type SteeringMode = 'clamp' | 'add' | 'orthogonal' | 'cap';
const MODE_CODE: Record<SteeringMode, number> = { clamp: 0, add: 1, orthogonal: 2, cap: 3 };
/** An entry's `to` when it runs to the end of the context. */
export const NO_END = 0xffffffff;

export interface SteeringEntry {
  feature: number;
  mode: SteeringMode;
  /**
   * clamp: the value to set f_i to; add: the multiple of W_dec[i] added; orthogonal: the factor on
   * the component along W_dec[i]; cap: the largest projection on W_dec[i]/|W_dec[i]|. Absolute units.
   */
  value: number;
  /** First absolute position the edit applies to (0 = from the start). */
  from: number;
  /** Position the edit stops before (absent: NO_END). */
  to?: number;
}

const ENTRY_BYTES = 32;
export const STEERING_BYTES = 16 + ENTRY_BYTES * MAX_STEERING;

/** The storage layout steer.wgsl reads: a 16-byte header {n}, then {feature, mode, value, start, end, pad x3}. */
export function packSteering(entries: SteeringEntry[]): ArrayBuffer {
  if (entries.length > MAX_STEERING) throw new RangeError(`at most ${MAX_STEERING} steering entries`);
  const buf = new ArrayBuffer(STEERING_BYTES);
  const v = new DataView(buf);
  v.setUint32(0, entries.length, true);
  entries.forEach((e, i) => {
    const o = 16 + ENTRY_BYTES * i;
    v.setUint32(o, e.feature, true);
    v.setUint32(o + 4, MODE_CODE[e.mode], true);
    v.setFloat32(o + 8, e.value, true);
    v.setUint32(o + 12, e.from, true);
    v.setUint32(o + 16, Math.min(e.to ?? NO_END, NO_END), true);
  });
  return buf;
}

/** x (T, C) edited in place by the steering entries (see shaders/steer.wgsl); pos0 comes from gpu.step. */
export function steer(
  gpu: Gpu,
  a: { steering: GPUBuffer; f: GPUBuffer; wDec: GPUBuffer; stats: GPUBuffer; x: GPUBuffer; T: number; C: number; S: number },
): Dispatch {
  const { T, C, S } = a;
  positiveInts('steer', { T, C, S });
  holds('steer', 'f', a.f, T * S);
  holds('steer', 'x', a.x, T * C);
  return gpu.dispatch('steer', 'steer', [gpu.params('steer', [T, C, S]), gpu.step, a.steering, a.f, a.wDec, a.stats, a.x], [T]);
}
