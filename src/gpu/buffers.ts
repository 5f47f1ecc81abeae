// GPU buffers: upload, readback, and tensors split along dim 0 when one exceeds the adapter's
// storage binding limit (GPT-2's fp32 wte, [50257, 768] = 154 MB, is over the default 128 MiB).
import { DTYPE_BYTES, toHalf, type WeightDtype } from './f16';

/** A row-major tensor on the GPU. `parts` holds consecutive row ranges of dim 0. */
export interface GpuTensor {
  name: string;
  shape: number[];
  dtype: WeightDtype;
  parts: Array<{ buffer: GPUBuffer; row0: number; rows: number }>;
}

export const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** Byte size rounded up to 4 (WebGPU requires buffer sizes and copies in multiples of 4). */
const align4 = (n: number) => Math.max(4, Math.ceil(n / 4) * 4);

export function createBuffer(device: GPUDevice, label: string, bytes: number, usage = STORAGE): GPUBuffer {
  return device.createBuffer({ label, size: align4(bytes), usage });
}

export function uploadBuffer(device: GPUDevice, label: string, data: ArrayBufferView, usage = STORAGE): GPUBuffer {
  const buffer = device.createBuffer({ label, size: align4(data.byteLength), usage, mappedAtCreation: true });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buffer.unmap();
  return buffer;
}

/** Rows per part so that each part fits in `maxBinding` bytes (and in maxBufferSize). */
export function rowsPerPart(shape: number[], maxBinding: number, dtype: WeightDtype = 'f32'): number {
  const rowBytes = DTYPE_BYTES[dtype] * shape.slice(1).reduce((a, b) => a * b, 1);
  return Math.max(1, Math.floor(maxBinding / rowBytes));
}

/** Uploads f32 data as a tensor of `dtype`, split into parts of at most maxBinding bytes. */
export function uploadTensor(
  device: GPUDevice, name: string, shape: number[], data: Float32Array, maxBinding: number, dtype: WeightDtype = 'f32',
): GpuTensor {
  const rows = shape[0] ?? 1;
  const rowLen = shape.slice(1).reduce((a, b) => a * b, 1);
  const per = rowsPerPart(shape.length ? shape : [1], maxBinding, dtype);
  const parts: GpuTensor['parts'] = [];
  for (let row0 = 0; row0 < Math.max(rows, 1); row0 += per) {
    const n = Math.min(per, rows - row0);
    const label = parts.length || row0 + n < rows ? `${name}[${row0}:${row0 + n}]` : name;
    const view = data.subarray(row0 * rowLen, (row0 + n) * rowLen);
    parts.push({ buffer: uploadBuffer(device, label, dtype === 'f16' ? toHalf(view) : view), row0, rows: n });
  }
  return { name, shape, dtype, parts };
}

/** The single buffer of an unsplit tensor; ops other than embed and logits need one. */
export function whole(t: GpuTensor): GPUBuffer {
  if (t.parts.length !== 1) throw new Error(`${t.name} is split in ${t.parts.length} parts; this op needs it whole`);
  return t.parts[0].buffer;
}

export async function readBuffer(device: GPUDevice, src: GPUBuffer, bytes = src.size, offset = 0): Promise<ArrayBuffer> {
  const size = align4(bytes);
  const staging = device.createBuffer({ label: `read ${src.label}`, size, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const enc = device.createCommandEncoder({ label: `read ${src.label}` });
  enc.copyBufferToBuffer(src, offset, staging, 0, size);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = staging.getMappedRange().slice(0, bytes);
  staging.unmap();
  staging.destroy();
  return out;
}

export async function readF32(device: GPUDevice, src: GPUBuffer, count?: number, offsetElems = 0): Promise<Float32Array> {
  const n = count ?? src.size / 4 - offsetElems;
  return new Float32Array(await readBuffer(device, src, n * 4, offsetElems * 4));
}
