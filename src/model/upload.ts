// Weights to the GPU a slice at a time: a checkpoint tensor is read from its file (a local File or
// a cached download) in chunks of rows, converted, written into its GPU buffer and dropped, so a
// 2 GB checkpoint never sits in JS memory whole. Every value read is checked to be finite.
import { createBuffer, rowsPerPart, type GpuTensor } from '../gpu/buffers';
import { DTYPE_BYTES, toHalf, type WeightDtype } from '../gpu/f16';
import type { Gpu } from '../gpu/gpu';
import { ModelFileError } from '../errors';
import { rowLength, type TensorRows } from './tensor_rows';

/** A file's tensor, each chunk checked for NaN and Inf as it is read (no second pass over the file). */
export function checkedRows(file: string, name: string, shape: number[], read: (row0: number, rows: number) => Promise<Float32Array>): TensorRows {
  const len = rowLength(shape);
  return {
    shape,
    read: async (row0 = 0, rows = (shape[0] ?? 1) - row0) => {
      const data = await read(row0, rows);
      for (let i = 0; i < data.length; i++) {
        const v = data[i];
        if (v - v !== 0) {
          const at = shape.length > 1 ? `[${row0 + Math.floor(i / len)}, ${i % len}]` : `[${row0 + i}]`;
          throw new ModelFileError(file, `holds ${v} at ${at}: the weights are corrupt or were saved after training diverged. Re-download or re-export the model.`, name);
        }
      }
      return data;
    },
  };
}

/** f32 bytes read and converted per step. */
const CHUNK_BYTES = 32 * 2 ** 20;

/**
 * Uploads a tensor as `dtype`, split along dim 0 into parts of at most the adapter's binding size
 * (as uploadTensor does), reading about chunkBytes of f32 at a time.
 */
export async function uploadRows(
  gpu: Gpu, name: string, src: TensorRows, dtype: WeightDtype, { chunkBytes = CHUNK_BYTES, maxBinding = gpu.ctx.maxBinding } = {},
): Promise<GpuTensor> {
  const { device } = gpu;
  const { shape } = src;
  const R = shape[0] ?? 1;
  const len = rowLength(shape);
  const width = DTYPE_BYTES[dtype];
  const per = rowsPerPart(shape.length ? shape : [1], maxBinding, dtype);
  let step = Math.max(1, Math.floor(chunkBytes / (4 * len)));
  if ((step * len * width) % 4) step += 1; // odd f16 rows go in pairs: every write starts at a 4-byte offset
  const parts: GpuTensor['parts'] = [];
  try {
    for (let row0 = 0; row0 < Math.max(R, 1); row0 += per) {
      const n = Math.min(per, R - row0);
      const label = parts.length || row0 + n < R ? `${name}[${row0}:${row0 + n}]` : name;
      const buffer = createBuffer(device, label, n * len * width);
      parts.push({ buffer, row0, rows: n });
      for (let r = 0; r < n; r += step) {
        const data = await src.read(row0 + r, Math.min(step, n - r));
        const bytes = dtype === 'f16' ? toHalf(data) : data;
        device.queue.writeBuffer(buffer, r * len * width, padTo4(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
        await device.queue.onSubmittedWorkDone(); // the staging copy is freed before the next chunk
      }
    }
  } catch (e) {
    for (const p of parts) p.buffer.destroy();
    throw e;
  }
  return { name, shape, dtype, parts };
}

function padTo4(b: Uint8Array): Uint8Array<ArrayBuffer> {
  if (b.byteLength % 4 === 0 && b.buffer instanceof ArrayBuffer) return b as Uint8Array<ArrayBuffer>;
  const out = new Uint8Array(Math.ceil(b.byteLength / 4) * 4);
  out.set(b);
  return out;
}

/** Uploads tensors one after another; on any failure the ones already uploaded are freed. */
export async function uploadAll(
  gpu: Gpu,
  tensors: AsyncIterable<{ name: string; rows: TensorRows }> | Iterable<{ name: string; rows: TensorRows }>,
  dtype: (shape: number[]) => WeightDtype,
): Promise<Map<string, GpuTensor>> {
  const out = new Map<string, GpuTensor>();
  try {
    for await (const t of tensors) out.set(t.name, await uploadRows(gpu, t.name, t.rows, dtype(t.rows.shape)));
  } catch (e) {
    for (const t of out.values()) for (const p of t.parts) p.buffer.destroy();
    throw e;
  }
  return out;
}
