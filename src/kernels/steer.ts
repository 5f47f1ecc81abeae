import type { Dispatch, Gpu } from '../gpu/gpu';
import { holds, positiveInts } from './check';

export const MAX_STEERING = 64;
export interface SteeringEntry {
  feature: number;
  mode: 'clamp' | 'add';
  /** clamp: the value to set f_i to; add: the strength. In absolute units. */
  value: number;
  /** First absolute position the edit applies to (0 = every position). */
  from: number;
}

/** The storage layout steer.wgsl reads: a 16-byte header {n}, then {feature, mode, value, from}. */
export function packSteering(entries: SteeringEntry[]): ArrayBuffer {
  if (entries.length > MAX_STEERING) throw new RangeError(`at most ${MAX_STEERING} steering entries`);
  const buf = new ArrayBuffer(16 + 16 * MAX_STEERING);
  const v = new DataView(buf);
  v.setUint32(0, entries.length, true);
  entries.forEach((e, i) => {
    const o = 16 + 16 * i;
    v.setUint32(o, e.feature, true);
    v.setUint32(o + 4, e.mode === 'clamp' ? 0 : 1, true);
    v.setFloat32(o + 8, e.value, true);
    v.setUint32(o + 12, e.from, true);
  });
  return buf;
}

/** x (T, C) += the steering edit (see shaders/steer.wgsl); pos0 comes from gpu.step. */
export function steer(
  gpu: Gpu,
  a: { steering: GPUBuffer; f: GPUBuffer; wDec: GPUBuffer; stats: GPUBuffer; x: GPUBuffer; T: number; C: number; S: number },
): Dispatch {
  const { T, C, S } = a;
  positiveInts('steer', { T, C, S });
  holds('steer', 'f', a.f, T * S);
  holds('steer', 'x', a.x, T * C);
  return gpu.dispatch(
    'steer',
    'steer',
    [gpu.params('steer', [T, C, S]), gpu.step, a.steering, a.f, a.wDec, a.stats, a.x],
    [Math.ceil(C / 64), T],
  );
}
