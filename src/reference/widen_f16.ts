import { fromHalfBits } from '../gpu/f16';

/** The f32 values of f16 bits. */
export function widenF16Ref(halves: Uint16Array): Float32Array {
  return Float32Array.from(halves, fromHalfBits);
}
