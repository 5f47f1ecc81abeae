// Every malformed-file case gives a ModelFileError that names the file and the tensor.
import { describe, expect, it } from 'vitest';
import { parseSafetensors, toFloat32, writeSafetensors } from '../../src/model/safetensors';
import { ModelFileError } from '../../src/errors';

const FILE = 'model.safetensors';

/** A file with a hand-written header, to build every kind of corruption. */
function withHeader(header: object, dataBytes: number): ArrayBuffer {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out.buffer;
}

function expectError(buf: ArrayBuffer, pattern: RegExp, tensor?: string) {
  let err: unknown;
  try {
    parseSafetensors(buf, FILE);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ModelFileError);
  const e = err as ModelFileError;
  expect(e.name).toBe('ModelFileError');
  expect(e.file).toBe(FILE);
  expect(e.message).toMatch(pattern);
  if (tensor) expect(e.tensor).toBe(tensor);
}

describe('safetensors parser', () => {
  it('round-trips F32 with zero-copy views, and reads metadata', () => {
    const a = Float32Array.from([1, -2, 3.5, 4, 5, 6]);
    const bytes = writeSafetensors({ a: { shape: [2, 3], data: a }, b: { shape: [1], data: Float32Array.from([7]) } });
    const st = parseSafetensors(bytes.buffer as ArrayBuffer, FILE);
    const t = st.tensors.get('a')!;
    expect(t.shape).toEqual([2, 3]);
    const f = toFloat32(t);
    expect([...f]).toEqual([...a]);
    expect(f.buffer).toBe(bytes.buffer); // a view, not a copy
  });

  it('converts F16 and BF16 to f32', () => {
    const f16 = new Uint16Array([0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00]); // 1, -2, 0.333, min subnormal, inf
    const bf16 = new Uint16Array([0x3f80, 0xc040, 0x4049]); // 1, -3, 3.140625
    const header = {
      h: { dtype: 'F16', shape: [5], data_offsets: [0, 10] },
      b: { dtype: 'BF16', shape: [3], data_offsets: [10, 16] },
      __metadata__: { format: 'pt' },
    };
    const buf = withHeader(header, 16);
    const u8 = new Uint8Array(buf);
    const start = buf.byteLength - 16;
    u8.set(new Uint8Array(f16.buffer), start);
    u8.set(new Uint8Array(bf16.buffer), start + 10);
    const st = parseSafetensors(buf, FILE);
    expect(st.metadata.format).toBe('pt');
    const h = toFloat32(st.tensors.get('h')!);
    expect(h[0]).toBe(1);
    expect(h[1]).toBe(-2);
    expect(h[2]).toBeCloseTo(0.33325, 5);
    expect(h[3]).toBe(2 ** -24);
    expect(h[4]).toBe(Infinity);
    expect([...toFloat32(st.tensors.get('b')!)]).toEqual([1, -3, 3.140625]);
  });

  it('rejects a truncated file', () => {
    expectError(new ArrayBuffer(5), /too short/);
    const ok = writeSafetensors({ w: { shape: [4], data: new Float32Array(4) } });
    expectError(ok.buffer.slice(0, ok.length - 4) as ArrayBuffer, /run past.*truncated/, 'w');
  });

  it('rejects a header length past the end of the file', () => {
    const buf = new ArrayBuffer(64);
    new DataView(buf).setBigUint64(0, 1000n, true);
    expectError(buf, /header length 1000 runs past the end/);
  });

  it('rejects a header that is not JSON', () => {
    const buf = new Uint8Array(8 + 5);
    new DataView(buf.buffer).setBigUint64(0, 5n, true);
    buf.set(new TextEncoder().encode('{"a":'), 8);
    expectError(buf.buffer, /not valid JSON/);
  });

  it('rejects out-of-range and overlapping offsets', () => {
    expectError(withHeader({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 32] } }, 16), /run past/, 'w');
    expectError(
      withHeader({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, 16),
      /overlaps tensor "a"/,
      'b',
    );
    expectError(withHeader({ w: { dtype: 'F32', shape: [4], data_offsets: [8, 4] } }, 16), /end before/, 'w');
  });

  it('rejects offsets that disagree with the shape', () => {
    expectError(withHeader({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, 16), /needs 12/, 'w');
  });

  it('rejects an unknown dtype', () => {
    expectError(withHeader({ w: { dtype: 'F8_E4M3', shape: [4], data_offsets: [0, 4] } }, 4), /unknown dtype "F8_E4M3"/, 'w');
  });

  it('rejects bad shapes', () => {
    expectError(withHeader({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /bad shape/, 'w');
  });
});
