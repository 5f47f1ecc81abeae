// Shape checks shared by the kernel wrappers: a wrong size is a bug, caught before WebGPU sees it.

export function positiveInts(op: string, dims: Record<string, number>): void {
  for (const [k, v] of Object.entries(dims)) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`${op}: ${k} must be a positive integer, got ${v}`);
  }
}

/** Throws unless `buf` holds at least `elems` values of `bytes` each (f32 unless told). */
export function holds(op: string, name: string, buf: GPUBuffer, elems: number, bytes = 4): void {
  if (buf.size < elems * bytes) throw new Error(`${op}: ${name} (${buf.label}) has ${buf.size / bytes} values, needs ${elems}`);
}
