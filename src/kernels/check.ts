// Shape checks shared by the kernel wrappers: a wrong size is a bug, caught before WebGPU sees it.

export function positiveInts(op: string, dims: Record<string, number>): void {
  for (const [k, v] of Object.entries(dims)) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`${op}: ${k} must be a positive integer, got ${v}`);
  }
}

/** Throws unless `buf` holds at least `elems` f32 values. */
export function holds(op: string, name: string, buf: GPUBuffer, elems: number): void {
  if (buf.size < elems * 4) throw new Error(`${op}: ${name} (${buf.label}) has ${buf.size / 4} floats, needs ${elems}`);
}
