// Gemma Scope's params.npz: a zip of .npy arrays (W_enc, W_dec, b_enc, b_dec, threshold). The zip's
// directory is read here, every size and offset checked against the file before anything is
// allocated (fflate's unzipSync trusts them: a 100-byte file could ask it for 4 GiB, or loop
// forever on a zip64 record); fflate only inflates. JumpReLU, no b_dec subtraction, at
// blocks.L.hook_resid_post (the layer comes from the folder name on the Hub, so the caller gives the hook).
import { inflateSync } from 'fflate';
import { ModelFileError } from '../errors';
import { fromHalfBits } from '../gpu/f16';
import { showJson } from '../model/show_json';
import { checkSaeWeights, type SaeConfig, type SaeWeights } from './formats';

export interface NpyArray {
  shape: number[];
  data: () => Float32Array;
}

const NPY_SIZES: Record<string, number> = { '<f4': 4, '<f2': 2, '<f8': 8 };

/** Parses one .npy (format 1.x/2.x/3.x): little-endian f4, f2 or f8, C order. */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new ModelFileError(file, 'is not a .npy array');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  if (major < 1 || major > 3 || (major > 1 && bytes.length < 12)) throw new ModelFileError(file, `is .npy format ${major}; supported: 1, 2, 3`);
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const hstart = major === 1 ? 10 : 12;
  if (hstart + hlen > bytes.length) throw new ModelFileError(file, `has a ${hlen}-byte header in a ${bytes.length}-byte array (truncated?)`);
  const header = new TextDecoder().decode(bytes.subarray(hstart, hstart + hlen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeStr = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeStr === undefined) throw new ModelFileError(file, `has an unreadable .npy header: ${showJson(header)}`);
  if (fortran === 'True') throw new ModelFileError(file, 'is in Fortran order; save it in C order');
  const dims = shapeStr.split(',').map((s) => s.trim());
  if (dims.at(-1) === '') dims.pop(); // (n,)
  const shape = dims.map((s) => (/^\d{1,15}$/.test(s) ? Number(s) : NaN));
  if (shape.some((d) => !Number.isSafeInteger(d))) throw new ModelFileError(file, `has shape (${showJson(shapeStr).slice(1, -1)}); each dimension must be a whole number`);
  const n = shape.reduce((a, b) => a * b, 1);
  const off = hstart + hlen;
  if (!Object.hasOwn(NPY_SIZES, descr)) throw new ModelFileError(file, `has dtype ${showJson(descr)}; supported: <f4, <f2, <f8`);
  const size = NPY_SIZES[descr];
  if (bytes.length - off < n * size) throw new ModelFileError(file, `holds ${bytes.length - off} data bytes, shape [${shape}] needs ${n * size} (truncated?)`);
  const data = () => {
    const out = new Float32Array(n);
    const body = new DataView(bytes.buffer, bytes.byteOffset + off, n * size);
    for (let i = 0; i < n; i++) {
      out[i] = size === 4 ? body.getFloat32(4 * i, true) : size === 8 ? body.getFloat64(8 * i, true) : fromHalfBits(body.getUint16(2 * i, true));
    }
    return out;
  };
  return { shape, data };
}

/** Deflate's largest expansion: 258 bytes from 2 bits, about 1032 bytes per compressed byte. */
const MAX_INFLATE_RATIO = 1032;

/** A zip's entries (stored or deflated) by name; a ModelFileError for anything the file cannot hold. */
export function readZip(bytes: Uint8Array, file: string): Map<string, Uint8Array> {
  const bad = (why: string): never => {
    throw new ModelFileError(file, `is not a readable .npz (zip) file: ${why}`);
  };
  const n = bytes.length;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, n);
  const u16 = (o: number) => (o + 2 <= n ? dv.getUint16(o, true) : bad('it is cut short (truncated download?)'));
  const u32 = (o: number) => (o + 4 <= n ? dv.getUint32(o, true) : bad('it is cut short (truncated download?)'));
  const u64 = (o: number) => {
    const lo = u32(o);
    const hi = u32(o + 4);
    return hi < 2 ** 21 ? hi * 2 ** 32 + lo : bad('a zip64 size or offset is implausible');
  };
  // The end-of-directory record: the last 22 bytes, or before a comment of up to 65535 bytes.
  let eocd = -1;
  for (let o = n - 22; o >= Math.max(0, n - 22 - 0xffff) && eocd < 0; o--) if (dv.getUint32(o, true) === 0x06054b50) eocd = o;
  if (eocd < 0) bad('it has no end-of-directory record');
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOff = u32(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOff === 0xffffffff) {
    const loc = eocd - 20; // zip64: a locator before the record points at the zip64 record
    if (loc < 0 || u32(loc) !== 0x07064b50) bad('its zip64 locator is missing');
    const z = u64(loc + 8);
    if (u32(z) !== 0x06064b50) bad('its zip64 end-of-directory record is missing');
    [count, cdSize, cdOff] = [u64(z + 32), u64(z + 40), u64(z + 48)];
  }
  const cdEnd = cdOff + cdSize;
  if (cdEnd > n) bad(`its directory (${cdSize} bytes at ${cdOff}) runs past the end of the ${n}-byte file (truncated download?)`);
  if (count * 46 > cdSize) bad(`it claims ${count} entries, more than its ${cdSize}-byte directory can list`);
  const out = new Map<string, Uint8Array>();
  for (let i = 0, p = cdOff; i < count; i++) {
    if (p + 46 > cdEnd || u32(p) !== 0x02014b50) bad(`directory entry ${i} is damaged`);
    const [flags, method, nameLen, extraLen, commentLen] = [u16(p + 8), u16(p + 10), u16(p + 28), u16(p + 30), u16(p + 32)];
    let [csize, usize, local] = [u32(p + 20), u32(p + 24), u32(p + 42)];
    const nameEnd = p + 46 + nameLen;
    const extraEnd = nameEnd + extraLen;
    if (extraEnd + commentLen > cdEnd) bad(`directory entry ${i} runs past the directory`);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, nameEnd));
    if (csize === 0xffffffff || usize === 0xffffffff || local === 0xffffffff) {
      // zip64 extra field (tag 1): the 8-byte values of the fields that overflowed, in this order
      let x = nameEnd;
      while (x + 4 <= extraEnd && u16(x) !== 1) x += 4 + u16(x + 2);
      const fieldEnd = x + 4 + (x + 4 <= extraEnd ? u16(x + 2) : 0);
      if (x + 4 > extraEnd || fieldEnd > extraEnd) bad(`entry ${showJson(name)} has no zip64 sizes`);
      let q = x + 4;
      const next = () => (q + 8 <= fieldEnd ? u64((q += 8) - 8) : bad(`entry ${showJson(name)} has a short zip64 field`));
      if (usize === 0xffffffff) usize = next();
      if (csize === 0xffffffff) csize = next();
      if (local === 0xffffffff) local = next();
    }
    p = extraEnd + commentLen;
    if (flags & 1) bad(`entry ${showJson(name)} is encrypted`);
    if (local + 30 > n || u32(local) !== 0x04034b50) bad(`entry ${showJson(name)} has no local header`);
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (start + csize > n) bad(`entry ${showJson(name)} (${csize} bytes) runs past the end of the file (truncated download?)`);
    if (out.has(name)) bad(`entry ${showJson(name)} appears twice`);
    const data = bytes.subarray(start, start + csize);
    if (method === 0) {
      if (usize !== csize) bad(`stored entry ${showJson(name)} says ${usize} bytes but holds ${csize}`);
      out.set(name, data);
    } else if (method === 8) {
      if (usize > MAX_INFLATE_RATIO * csize + 1024) bad(`entry ${showJson(name)} claims ${usize} bytes from ${csize} compressed, more than deflate can give`);
      let got: Uint8Array;
      try {
        got = inflateSync(data, { out: new Uint8Array(usize + 1) }); // one spare byte: a stream that runs long shows
      } catch (e) {
        return bad(`entry ${showJson(name)} does not inflate (${(e as Error).message})`);
      }
      if (got.length !== usize) bad(`entry ${showJson(name)} inflates to ${got.length > usize ? `more than ${usize}` : got.length} bytes, not the ${usize} it says`);
      out.set(name, got);
    } else {
      bad(`entry ${showJson(name)} uses compression method ${method}; np.savez writes stored or deflated entries`);
    }
  }
  return out;
}

export function parseGemmaScopeNpz(buffer: ArrayBuffer, hookName: string, file = 'params.npz'): { cfg: SaeConfig; weights: SaeWeights } {
  const arrays = new Map<string, NpyArray>();
  for (const [name, bytes] of readZip(new Uint8Array(buffer), file)) {
    const key = name.replace(/\.npy$/, '').replace(/^w_/, 'W_');
    arrays.set(key, parseNpy(bytes, `${file}/${name}`));
  }
  const enc = arrays.get('W_enc');
  if (!enc || enc.shape.length !== 2) throw new ModelFileError(file, 'has no 2-D W_enc array', 'W_enc');
  if (!(enc.shape[0] > 0 && enc.shape[1] > 0)) throw new ModelFileError(file, `has shape [${enc.shape}]: d_in and d_sae must be positive`, 'W_enc');
  const cfg: SaeConfig = {
    architecture: 'jumprelu',
    dIn: enc.shape[0],
    dSae: enc.shape[1],
    k: null,
    applyBDecToInput: false,
    normalizeActivations: 'none',
    normScalingFactor: null,
    hookName,
    modelName: null,
    centerWritingWeights: false,
  };
  return { cfg, weights: checkSaeWeights(arrays, cfg, file) };
}
