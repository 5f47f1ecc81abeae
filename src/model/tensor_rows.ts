// Tensors read by row ranges of dim 0, as f32: a checkpoint tensor streamed from its file, data
// in memory, or a tensor made from others. No GPU here (the memory estimate imports it).
/** A tensor read by row ranges of dim 0, as f32 (rows defaults to the rest of the tensor). */
export interface TensorRows {
  shape: number[];
  read(row0?: number, rows?: number): Promise<Float32Array>;
}

export const rowLength = (shape: number[]) => shape.slice(1).reduce((a, b) => a * b, 1);

/** Rows of data already in memory. */
export function inMemory(shape: number[], data: Float32Array): TensorRows {
  const len = rowLength(shape);
  return { shape, read: async (row0 = 0, rows = (shape[0] ?? 1) - row0) => data.subarray(row0 * len, (row0 + rows) * len) };
}

/** Rows of a tensor made from others (a transpose, a concatenation), made once when first read. */
export function computed(shape: number[], make: () => Promise<Float32Array>): TensorRows {
  let data: Promise<Float32Array> | null = null;
  return { shape, read: async (row0, rows) => inMemory(shape, await (data ??= make())).read(row0, rows) };
}
