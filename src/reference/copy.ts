/** A copy of x. */
export function copyRef(x: Float32Array): Float32Array {
  return x.slice();
}
