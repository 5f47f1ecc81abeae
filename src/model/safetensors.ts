// safetensors: an 8-byte little-endian header length N, N bytes of JSON header
// ({name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}), then the raw data.
// Offsets are relative to the end of the header. Every malformed case is a ModelFileError that
// names the file and, when known, the tensor.
import { ModelFileError } from '../errors';
import { fromHalfBits } from '../gpu/f16';
import { showJson } from './show_json';

export type Dtype = 'F32' | 'F16' | 'BF16' | 'I32' | 'I64' | 'U8';
const BYTES: Record<Dtype, number> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8, U8: 1 };

/** A tensor as the header describes it; `begin`/`end` are byte offsets in the whole file. */
export interface TensorMeta {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

export interface TensorInfo extends TensorMeta {
  /** Raw bytes of this tensor (a view into the file buffer, no copy). */
  bytes: Uint8Array;
}

export interface SafetensorsHeader {
  file: string;
  tensors: Map<string, TensorMeta>;
  metadata: Record<string, string>;
}

export interface Safetensors extends SafetensorsHeader {
  tensors: Map<string, TensorInfo>;
}

const MAX_HEADER = 100 * 1024 * 1024;

/** The header's length from the file's first 8 bytes, checked against the file's size. */
function headerLength(first8: Uint8Array, size: number, file: string): number {
  if (size < 8) throw new ModelFileError(file, `file is ${size} bytes, too short for a safetensors header (truncated download?)`);
  const n = Number(new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true));
  if (n > MAX_HEADER) throw new ModelFileError(file, `header length ${n} is implausible; this is not a safetensors file`);
  if (8 + n > size) throw new ModelFileError(file, `header length ${n} runs past the end of the ${size}-byte file (truncated download?)`);
  return n;
}

/** Parses and checks the JSON header (json: its bytes) of a `size`-byte file. */
function parseHeader(json: Uint8Array, size: number, file: string): SafetensorsHeader {
  const fail = (detail: string, tensor?: string): never => {
    throw new ModelFileError(file, detail, tensor);
  };
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(json));
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message}); this is not a safetensors file`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + json.byteLength;
  const dataLen = size - dataStart;
  const tensors = new Map<string, TensorMeta>();
  let metadata: Record<string, string> = {};
  const spans: Array<[number, number, string]> = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw !== null && (typeof raw !== 'object' || Array.isArray(raw) || !Object.values(raw).every((v) => typeof v === 'string'))) fail('__metadata__ is not a map of strings');
      metadata = (raw ?? {}) as Record<string, string>;
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) fail('entry is not an object', name);
    const dtype = e.dtype as Dtype;
    if (typeof dtype !== 'string' || !Object.hasOwn(BYTES, dtype)) fail(`unknown dtype ${showJson(e.dtype)}; supported: ${Object.keys(BYTES).join(', ')}`, name);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`bad shape ${showJson(shape)}`, name);
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`bad data_offsets ${showJson(offs)}`, name);
    const [begin, end] = offs as [number, number];
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin) fail(`data_offsets [${begin}, ${end}] end before they begin`, name);
    if (end > dataLen) fail(`data_offsets [${begin}, ${end}] run past the ${dataLen} data bytes (truncated file?)`, name);
    if (end - begin !== numel * BYTES[dtype]) fail(`data_offsets span ${end - begin} bytes but shape ${showJson(shape)} of ${dtype} needs ${numel * BYTES[dtype]}`, name);
    spans.push([begin, end, name]);
    tensors.set(name, { name, dtype, shape: shape as number[], begin: dataStart + begin, end: dataStart + end });
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i][0] < spans[i - 1][1]) fail(`data overlaps tensor "${spans[i - 1][2]}"`, spans[i][2]);
  }
  return { file, tensors, metadata };
}

/** A whole file in memory: every tensor a view of `buffer`. */
export function parseSafetensors(buffer: ArrayBuffer, file: string): Safetensors {
  const n = headerLength(new Uint8Array(buffer, 0, Math.min(8, buffer.byteLength)), buffer.byteLength, file);
  const h = parseHeader(new Uint8Array(buffer, 8, n), buffer.byteLength, file);
  const tensors = new Map([...h.tensors].map(([k, t]) => [k, { ...t, bytes: new Uint8Array(buffer, t.begin, t.end - t.begin) }]));
  return { ...h, tensors };
}

/** A file read in slices (a local File, a cached download): the header now, each tensor when asked. */
export interface SafetensorsFile extends SafetensorsHeader {
  /** Rows [row0, row0 + rows) of dim 0 of a tensor, as f32. */
  read(t: TensorMeta, row0?: number, rows?: number): Promise<Float32Array>;
}

export async function openSafetensors(blob: Blob, file: string): Promise<SafetensorsFile> {
  const slice = async (a: number, b: number) => new Uint8Array(await blob.slice(a, b).arrayBuffer());
  const n = headerLength(await slice(0, 8), blob.size, file);
  const h = parseHeader(await slice(8, 8 + n), blob.size, file);
  const read = async (t: TensorMeta, row0 = 0, rows = t.shape[0] ?? 1) => {
    const rowBytes = (t.end - t.begin) / Math.max(1, t.shape[0] ?? 1);
    const a = t.begin + row0 * rowBytes;
    const bytes = await slice(a, a + rows * rowBytes);
    if (bytes.byteLength !== rows * rowBytes) throw new ModelFileError(file, 'was cut short while it was being read (the file changed on disk?). Pick it again.', t.name);
    return toFloat32({ ...t, shape: [rows, ...t.shape.slice(1)], bytes }, file);
  };
  return { ...h, read };
}

/** The tensor as f32: a zero-copy view when it is F32 and 4-byte aligned, else converted. */
export function toFloat32(t: TensorInfo, file = ''): Float32Array {
  const { bytes } = t;
  switch (t.dtype) {
    case 'F32':
      if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      return new Float32Array(bytes.slice().buffer);
    case 'F16': {
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const out = new Float32Array(bytes.byteLength / 2);
      for (let i = 0; i < out.length; i++) out[i] = fromHalfBits(dv.getUint16(2 * i, true));
      return out;
    }
    case 'BF16': {
      // bf16 is the top half of an f32: shift it back into place.
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const u = new Uint32Array(bytes.byteLength / 2);
      for (let i = 0; i < u.length; i++) u[i] = dv.getUint16(2 * i, true) << 16;
      return new Float32Array(u.buffer);
    }
    default:
      throw new ModelFileError(file, `dtype ${t.dtype} is not a float type`, t.name);
  }
}

/** Integer tensors (I32, I64) as plain numbers; used by fixtures. */
export function toInts(t: TensorInfo): number[] {
  const dv = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const w = BYTES[t.dtype];
  const out: number[] = [];
  for (let i = 0; i < t.bytes.byteLength / w; i++) out.push(t.dtype === 'I64' ? Number(dv.getBigInt64(i * 8, true)) : dv.getInt32(i * 4, true));
  return out;
}

/** Writes a safetensors file (F32 and I32 tensors); used by tests and tools. */
export function writeSafetensors(tensors: Record<string, { shape: number[]; data: Float32Array | Int32Array }>): Uint8Array {
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const [name, { shape, data }] of Object.entries(tensors)) {
    header[name] = { dtype: data instanceof Int32Array ? 'I32' : 'F32', shape, data_offsets: [off, off + data.byteLength] };
    off += data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(json.length + ((8 - ((8 + json.length) % 8)) % 8)).fill(0x20); // data starts 8-byte aligned
  head.set(json);
  const out = new Uint8Array(8 + head.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let p = 8 + head.length;
  for (const { data } of Object.values(tensors)) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), p);
    p += data.byteLength;
  }
  return out;
}
