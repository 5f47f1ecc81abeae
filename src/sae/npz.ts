// Gemma Scope's params.npz: a zip of .npy arrays (W_enc, W_dec, b_enc, b_dec, threshold), unzipped
// with fflate. JumpReLU, no b_dec subtraction, at blocks.L.hook_resid_post (the layer comes from
// the folder name on the Hub, so the caller gives the hook).
import { unzipSync } from 'fflate';
import { ModelFileError } from '../errors';
import { fromHalfBits } from '../gpu/f16';
import { checkSaeWeights, type SaeConfig, type SaeWeights } from './formats';

export interface NpyArray {
  shape: number[];
  data: () => Float32Array;
}

/** Parses one .npy (format 1.x/2.x/3.x): little-endian f4, f2 or f8, C order. */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new ModelFileError(file, 'is not a .npy array');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const hstart = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(hstart, hstart + hlen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeStr = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeStr === undefined) throw new ModelFileError(file, `has an unreadable .npy header: ${header}`);
  if (fortran === 'True') throw new ModelFileError(file, 'is in Fortran order; save it in C order');
  const shape = shapeStr.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const off = hstart + hlen;
  const sizes: Record<string, number> = { '<f4': 4, '<f2': 2, '<f8': 8 };
  if (!(descr in sizes)) throw new ModelFileError(file, `has dtype ${descr}; supported: <f4, <f2, <f8`);
  if (bytes.length - off < n * sizes[descr]) throw new ModelFileError(file, `holds ${bytes.length - off} data bytes, shape [${shape}] needs ${n * sizes[descr]} (truncated?)`);
  const data = () => {
    const out = new Float32Array(n);
    const body = new DataView(bytes.buffer, bytes.byteOffset + off, n * sizes[descr]);
    for (let i = 0; i < n; i++) {
      out[i] = descr === '<f4' ? body.getFloat32(4 * i, true) : descr === '<f8' ? body.getFloat64(8 * i, true) : fromHalfBits(body.getUint16(2 * i, true));
    }
    return out;
  };
  return { shape, data };
}

export function parseGemmaScopeNpz(buffer: ArrayBuffer, hookName: string, file = 'params.npz'): { cfg: SaeConfig; weights: SaeWeights } {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(new Uint8Array(buffer));
  } catch (e) {
    throw new ModelFileError(file, `is not a readable .npz (zip) file: ${(e as Error).message}`);
  }
  const arrays = new Map<string, NpyArray>();
  for (const [name, bytes] of Object.entries(entries)) {
    const key = name.replace(/\.npy$/, '').replace(/^w_/, 'W_');
    arrays.set(key, parseNpy(bytes, `${file}/${name}`));
  }
  const enc = arrays.get('W_enc');
  if (!enc || enc.shape.length !== 2) throw new ModelFileError(file, 'has no 2-D W_enc array', 'W_enc');
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
