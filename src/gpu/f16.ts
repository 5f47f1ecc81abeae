// IEEE 754 half precision, for f16 weight storage. The shaders read pairs of halves from u32
// words with unpack2x16float (core WGSL), so f16 weights halve memory and bandwidth; the
// arithmetic stays f32.

/** How weights are stored on the GPU: f32, or f16 halves read with unpack2x16float. */
export type WeightDtype = 'f32' | 'f16';
export const DTYPE_BYTES: Record<WeightDtype, number> = { f32: 4, f16: 2 };

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The half nearest to the f32 value v (ties to even), as its 16 bits; overflow gives ±Infinity, NaN stays NaN. */
export function toHalfBits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf, NaN
  const e = exp - 127 + 15; // the half's biased exponent
  if (e >= 0x1f) return sign | 0x7c00; // too large: Inf
  if (e <= 0) {
    // subnormal half (or zero): shift the full significand into place, round to nearest even
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // a carry out of the significand bumps the exponent, up to Inf: the bit pattern does it right
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

/** The value of a half given as 16 bits. */
export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

type Float16ArrayCtor = new (src: ArrayLike<number>) => { buffer: ArrayBuffer; byteOffset: number; length: number };
const Native = (globalThis as { Float16Array?: Float16ArrayCtor }).Float16Array;

/**
 * data as halves (ties to even). Browsers with Float16Array convert natively (GPT-2 small's
 * 124M weights in a fraction of a second); elsewhere the same rounding runs in plain JS.
 */
export function toHalf(data: Float32Array, native = true): Uint16Array {
  if (native && Native) {
    const h = new Native(data);
    return new Uint16Array(h.buffer, h.byteOffset, h.length);
  }
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = toHalfBits(data[i]);
  return out;
}

/** data rounded to the nearest halves and back: what f16 storage keeps of it (for references). */
export function roundToHalf(data: Float32Array): Float32Array {
  const h = toHalf(data);
  return Float32Array.from(h, fromHalfBits);
}
