// Mutators for the fuzzer. Byte-level ones work on any file (bit flips, byte insert/delete,
// truncation, duplicated ranges, splices with another seed, little-endian integers overwritten
// with edge values). Structure-aware ones know a format: JSON trees (fuzz_json.ts), safetensors
// (the 8-byte header length, the header's JSON re-framed so the mutation reaches the parser's
// checks), zip/npz (local/central/end-of-directory sizes and offsets, .npy headers and shapes),
// gzip (the ISIZE trailer), and URL query strings. Everything is driven by one seeded Rng.
import { gzipSync, zipSync, type Zippable } from 'fflate';
import type { Rng } from '../../src/model/rng';
import { mutateJson, NUMBER_TEXT, pick, serialize, toTree } from './fuzz_json';

export type Kind = 'json' | 'text' | 'safetensors' | 'npz' | 'labels' | 'url';


/** What a structure-aware mutator may need of its seed, parsed once (never from mutated bytes). */
export interface SeedFile {
  kind: Kind;
  bytes: Uint8Array;
  /** npz: the zip's entries; labels: the decompressed text and whether the seed was gzipped. */
  entries?: Record<string, Uint8Array>;
  text?: string;
  gzipped?: boolean;
}

export interface Vocab {
  /** Field names the parser reads (added as extra or duplicate keys). */
  keys: readonly string[];
  /** Values it branches on (model types, dtypes, architectures...). */
  words: readonly string[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function interestingInt(rng: Rng, width: 1 | 2 | 4 | 8, old: number, fileLen: number): bigint {
  const max = (1n << BigInt(8 * width)) - 1n;
  const base = [0n, 1n, 2n, 7n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, max, max - 1n];
  if (width === 8) base.push(1n << 53n, (1n << 53n) + 1n, 1n << 63n, 100n * 1024n * 1024n, 100n * 1024n * 1024n + 1n);
  const rel = [old + 1, old - 1, old * 2, Math.floor(old / 2), old + 8, fileLen, fileLen - 1, fileLen + 1, fileLen * 2].map((v) => BigInt(Math.max(0, Math.floor(v))));
  return (rng.next() < 0.5 ? pick(rng, base) : pick(rng, rel)) & max;
}

function readUint(b: Uint8Array, off: number, width: number): number {
  let v = 0;
  for (let i = width - 1; i >= 0; i--) v = v * 256 + (b[off + i] ?? 0);
  return v;
}

function writeUint(b: Uint8Array, off: number, width: number, v: bigint): void {
  for (let i = 0; i < width && off + i < b.length; i++) b[off + i] = Number((v >> BigInt(8 * i)) & 0xffn);
}

export interface Field {
  off: number;
  width: 1 | 2 | 4 | 8;
}

/** Sets one integer field (or, with no fields given, a random aligned spot) to an edge value. */
function setField(rng: Rng, b: Uint8Array, fields: Field[]): Uint8Array {
  const out = b.slice();
  const f: Field = fields.length && rng.next() < 0.85 ? pick(rng, fields) : { off: rng.int(Math.max(1, b.length)), width: pick(rng, [1, 2, 4, 8] as const) };
  writeUint(out, f.off, f.width, interestingInt(rng, f.width, readUint(b, f.off, f.width), b.length));
  return out;
}

const TOKENS = ['"', '{', '}', '[', ']', ',', ':', '\\', '\\u', '\u0000', 'null', '-', 'e999', '"__proto__":', '\ufffd', '\n', '%', '&', '='].map((t) => enc.encode(t));

/** One byte-level mutation; `donor` is another seed of the same file, for splices. */
export function mutateBytes(rng: Rng, b: Uint8Array, donor: Uint8Array, fields: Field[]): Uint8Array {
  const n = b.length;
  const at = rng.int(n + 1);
  const cat = (...parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) (out.set(p, o), (o += p.length));
    return out;
  };
  switch (rng.int(9)) {
    case 0: { // bit flips
      const out = b.slice();
      for (let k = 1 + rng.int(8); k > 0 && n; k--) out[rng.int(n)] ^= 1 << rng.int(8);
      return out;
    }
    case 1: { // a byte set to an edge value
      const out = b.slice();
      if (n) out[rng.int(n)] = pick(rng, [0, 0xff, 0x7f, 0x80, 0x20, 0x22, 0x5c, rng.int(256)]);
      return out;
    }
    case 2: { // insert random bytes or a token
      const ins = rng.next() < 0.5 ? pick(rng, TOKENS) : Uint8Array.from({ length: 1 + rng.int(16) }, () => rng.int(256));
      return cat(b.subarray(0, at), ins, b.subarray(at));
    }
    case 3: // delete a range
      return cat(b.subarray(0, at), b.subarray(Math.min(n, at + 1 + rng.int(rng.next() < 0.8 ? 8 : 256))));
    case 4: // truncate, often near the end
      return b.slice(0, rng.next() < 0.5 ? Math.max(0, n - 1 - rng.int(16)) : rng.int(n + 1));
    case 5: { // duplicate a range
      const s = rng.int(n + 1);
      return cat(b.subarray(0, at), b.subarray(s, Math.min(n, s + 1 + rng.int(64))), b.subarray(at));
    }
    case 6: { // splice: our head, the donor's tail
      const d = rng.int(donor.length + 1);
      return cat(b.subarray(0, at), donor.subarray(d));
    }
    default: // integer fields: lengths, sizes, offsets
      return setField(rng, b, fields);
  }
}

// ---- safetensors ------------------------------------------------------------------------------

/** The header JSON mutated and framed again with a correct (usually) or stale length. */
function mutateSafetensors(rng: Rng, b: Uint8Array, vocab: Vocab): Uint8Array {
  const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
  let tree = toTree(JSON.parse(dec.decode(b.subarray(8, 8 + n))));
  for (let k = 1 + rng.int(3); k > 0; k--) tree = mutateJson(rng, tree, vocab.words, vocab.keys);
  const json = enc.encode(serialize(tree));
  const data = b.subarray(8 + n);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(rng.next() < 0.9 ? json.length : n), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

// ---- zip / npz --------------------------------------------------------------------------------

/** zip and gzip headers hold a time: a fixed one keeps every input the same from run to run. */
export const FIXED_TIME = new Date(2024, 0, 1);

const SIGS: Array<[number, Array<[number, 1 | 2 | 4 | 8]>]> = [
  [0x04034b50, [[4, 2], [6, 2], [8, 2], [18, 4], [22, 4], [26, 2], [28, 2]]], // local header
  [0x02014b50, [[8, 2], [10, 2], [20, 4], [24, 4], [28, 2], [30, 2], [32, 2], [42, 4]]], // central entry
  [0x06054b50, [[8, 2], [10, 2], [12, 4], [16, 4], [20, 2]]], // end of central directory
  [0x06064b50, [[24, 8], [32, 8], [40, 8], [48, 8]]], // zip64 end of central directory
  [0x07064b50, [[8, 8], [16, 4]]], // zip64 locator
  [0x0001, [[2, 2], [4, 8], [12, 8], [20, 8]]], // zip64 extra field (tag 1)
];

/** Integer fields of the zip records and .npy headers found in b (by signature). */
export function zipFields(b: Uint8Array): Field[] {
  const out: Field[] = [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i + 4 <= b.length; i++) {
    const u = dv.getUint32(i, true);
    for (const [sig, fields] of SIGS) {
      if (sig === 0x0001 ? (u & 0xffff) === 1 && (u >>> 16) % 8 === 0 && u >>> 16 && u >>> 16 <= 28 : u === sig) {
        for (const [off, width] of fields) if (i + off + width <= b.length) out.push({ off: i + off, width });
      }
    }
    if (u === 0x4d554e93 && b[i + 4] === 0x50 && b[i + 5] === 0x59) out.push({ off: i + 6, width: 1 }, { off: i + 8, width: 2 }, { off: i + 8, width: 4 });
  }
  return out;
}

const SHAPES = ['()', '(0,)', '(-1, 8)', '(4, -8)', '(1e3, 8)', '(4.5, 8)', '(4294967296, 4294967296)', '(99999999999999999999, 1)', '(nan, 1)', '(4, 8, 1)', '(8, 4)', '(4,)', '(, )', '(4 8)', '(0x4, 8)', '(1_0, 8)'];
const DESCRS = ['<f4', '<f2', '<f8', '>f4', '|u1', '<i8', '<c8', 'f4', 'constructor', 'toString', "<f4', 'x': '"];

/** A mutated .npy: header text (shape, dtype, order), header length, or body length. */
function mutateNpy(rng: Rng, npy: Uint8Array): Uint8Array {
  const hlen = npy[8] | (npy[9] << 8);
  let header = dec.decode(npy.subarray(10, 10 + hlen));
  let body = npy.subarray(10 + hlen);
  switch (rng.int(5)) {
    case 0: header = header.replace(/'shape':\s*\([^)]*\)/, `'shape': ${pick(rng, SHAPES)}`); break;
    case 1: header = header.replace(/'descr':\s*'[^']*'/, `'descr': '${pick(rng, DESCRS)}'`); break;
    case 2: header = header.replace(/False/, pick(rng, ['True', 'false', ''])); break;
    case 3: body = body.subarray(0, rng.int(body.length + 1)); break;
    default: header = header.slice(0, rng.int(header.length + 1));
  }
  const h = enc.encode(header);
  const out = new Uint8Array(10 + h.length + body.length);
  out.set(npy.subarray(0, 8));
  out[8] = h.length & 0xff;
  out[9] = (h.length >> 8) & 0xff;
  if (rng.next() < 0.1) out[6] = pick(rng, [2, 3, 0, 9]);
  out.set(h, 10);
  out.set(body, 10 + h.length);
  return out;
}

/** The seed's entries changed (an npy mutated, an entry dropped, renamed or duplicated) and zipped again. */
function mutateNpz(rng: Rng, seed: SeedFile): Uint8Array {
  const entries: Zippable = { ...seed.entries! };
  const names = Object.keys(entries);
  const name = pick(rng, names);
  const r = rng.int(10);
  if (r < 6) entries[name] = mutateNpy(rng, entries[name] as Uint8Array);
  else if (r < 7) delete entries[name];
  else if (r < 8) entries[pick(rng, ['W_enc', 'w_enc.npy', 'threshold.npy', 'log_threshold.npy', 'x/../W_enc.npy', ''])] = entries[name];
  else if (r < 9) entries[name] = new Uint8Array(0);
  else entries[`${name}.copy`] = entries[name];
  return zipSync(entries, { level: rng.next() < 0.5 ? 0 : 6, mtime: FIXED_TIME });
}

// ---- labels (JSON, JSON lines, gzip) ------------------------------------------------------------

function mutateLabels(rng: Rng, seed: SeedFile, vocab: Vocab): Uint8Array {
  let text = seed.text!;
  try {
    let tree = toTree(JSON.parse(text));
    for (let k = 1 + rng.int(3); k > 0; k--) tree = mutateJson(rng, tree, vocab.words, vocab.keys);
    text = serialize(tree);
  } catch {
    const lines = text.split('\n');
    const i = rng.int(lines.length);
    if (lines[i].trim()) lines[i] = serialize(mutateJson(rng, toTree(JSON.parse(lines[i])), vocab.words, vocab.keys));
    text = lines.join('\n');
  }
  const bytes = enc.encode(text);
  if (!(seed.gzipped ? rng.next() < 0.8 : rng.next() < 0.2)) return bytes;
  const gz = gzipSync(bytes, { mtime: 0 });
  if (rng.next() < 0.3) writeUint(gz, gz.length - 4, 4, interestingInt(rng, 4, bytes.length, gz.length)); // ISIZE
  return gz;
}

// ---- URL query strings ---------------------------------------------------------------------------

const URL_VALUES = [
  '', 'NaN', 'Infinity', '-Infinity', '1e999', '-0', '1e21', '9'.repeat(400), '0x10', ' 1', '1e-400', '-1', '0.5', '2.5', '513', '%', '%zz',
  '%ED%A0%80', '+', '&', '=', '12c10', '1' + '0'.repeat(30) + 'c1', '1c' + '9'.repeat(400), '1c1e3', '1a-0.001', '1c0.005', ',,,', 'x'.repeat(10_000),
];
const URL_KEYS = ['prompt', 'model', 'sae', 'steer', 'temp', 'topk', 'topp', 'seed', 'n', 'hub', 'Steer', 'temp[]'];

function mutateUrl(rng: Rng, b: Uint8Array): Uint8Array {
  const q = new URLSearchParams(dec.decode(b));
  const key = pick(rng, URL_KEYS);
  const value = pick(rng, [...URL_VALUES, ...NUMBER_TEXT]);
  const r = rng.int(4);
  if (r === 0) q.set(key, value);
  else if (r === 1) q.append(key, value);
  else if (r === 2) q.delete(key);
  else q.set('steer', Array.from({ length: 1 + rng.int(pick(rng, [3, 50, 2000])) }, () => `${rng.int(100_000)}${pick(rng, ['c', 'a', 'x'])}${pick(rng, ['1', '-3.5', '0.001', '1e3', '99999999999999999999999', '2.'])}`).join(','));
  let s = `?${q}`;
  if (rng.next() < 0.3) s = s.replace(/%[0-9A-F]{2}/, pick(rng, ['%', '%G0', '%C3', '%ED%A0%80']));
  return enc.encode(s);
}

// ---- one structure-aware mutation, by kind -----------------------------------------------------

/** Integer fields a byte-level mutation aims at in a file of this kind. */
export function fieldsOf(kind: Kind, b: Uint8Array): Field[] {
  if (kind === 'safetensors') return [{ off: 0, width: 8 }];
  if (kind === 'npz') return zipFields(b);
  if (kind === 'labels' && b[0] === 0x1f && b[1] === 0x8b) return [{ off: Math.max(0, b.length - 4), width: 4 }, { off: 3, width: 1 }];
  return [];
}

export function mutateStructured(rng: Rng, seed: SeedFile, current: Uint8Array, vocab: Vocab): Uint8Array {
  switch (seed.kind) {
    case 'json': {
      let tree = toTree(JSON.parse(dec.decode(seed.bytes)));
      for (let k = 1 + rng.int(3); k > 0; k--) tree = mutateJson(rng, tree, vocab.words, vocab.keys);
      return enc.encode(serialize(tree));
    }
    case 'safetensors':
      return rng.next() < 0.75 ? mutateSafetensors(rng, seed.bytes, vocab) : setField(rng, current, [{ off: 0, width: 8 }]);
    case 'npz':
      return rng.next() < 0.5 ? mutateNpz(rng, seed) : setField(rng, current, zipFields(current));
    case 'labels':
      return mutateLabels(rng, seed, vocab);
    case 'url':
      return mutateUrl(rng, seed.bytes);
    default:
      return current;
  }
}
