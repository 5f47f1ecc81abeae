// Built dashboards and the partial state of an unfinished build, in the Origin Private File
// System, under one key per (model, SAE, corpus hash, settings): they survive a reload and work
// offline. A partial state is saved every few seconds and when a run is cancelled; `<key>.json`
// appears only when a run completes, and the (model, SAE) pair remembers its last one.
import type { CollectState } from './collect';
import type { BuiltDashboards } from './types';

const DIR = 'glassbox-dashboards';
const ARRAYS = ['stats', 'topCount', 'topVal', 'topCtx', 'topAt', 'topActs', 'resSeen', 'resVal', 'resCtx', 'resAt', 'resActs'] as const;
type Typed = Uint8Array | Uint16Array | Uint32Array | Float32Array;

/** A file name from a key's parts (any characters, a bounded length). */
export function dashboardKey(parts: { model: string; sae: string; corpusHash: string; ctxLen: number; nTokens: number; N: number }): string {
  const slug = (s: string) => s.replace(/[^\w.-]+/g, '_').slice(0, 60);
  return `${slug(parts.model)}~${slug(parts.sae)}~${parts.corpusHash}~${parts.ctxLen}x${parts.nTokens}n${parts.N}`;
}
const pairFile = (model: string, sae: string) => `latest~${dashboardKey({ model, sae, corpusHash: '', ctxLen: 0, nTokens: 0, N: 0 })}.json`;

/** The state as bytes: a JSON header (scalars, array byte lengths) then each array, 4-byte aligned. */
export function encodeState(st: CollectState): Uint8Array {
  const arrays = ARRAYS.map((k) => st[k] as Typed);
  const { stats: _s, ...rest } = st;
  const scalars = Object.fromEntries(Object.entries(rest).filter(([k]) => !(ARRAYS as readonly string[]).includes(k)));
  const header = new TextEncoder().encode(JSON.stringify({ v: 1, scalars, lengths: arrays.map((a) => a.byteLength) }));
  const pad = (n: number) => Math.ceil(n / 4) * 4;
  let size = 8 + pad(header.length);
  for (const a of arrays) size += pad(a.byteLength);
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 8);
  let at = 8 + pad(header.length);
  for (const a of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += pad(a.byteLength);
  }
  return out;
}

export function decodeState(bytes: Uint8Array): CollectState | null {
  try {
    const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
    const head = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    if (head.v !== 1) return null;
    const pad = (x: number) => Math.ceil(x / 4) * 4;
    let at = 8 + pad(n);
    const st = { ...head.scalars } as Record<string, unknown>;
    const kinds: Record<string, new (b: ArrayBuffer) => Typed> = { topCount: Uint8Array, topAt: Uint16Array, resAt: Uint16Array, topVal: Float32Array, topActs: Float32Array, resVal: Float32Array, resActs: Float32Array };
    ARRAYS.forEach((k, i) => {
      const len = head.lengths[i];
      st[k] = new (kinds[k] ?? Uint32Array)(bytes.slice(at, at + len).buffer);
      at += pad(len);
    });
    return st as unknown as CollectState;
  } catch {
    return null; // a state written by another version, or cut short: start over
  }
}

async function dir(): Promise<FileSystemDirectoryHandle | null> {
  try {
    return await (await navigator.storage.getDirectory()).getDirectoryHandle(DIR, { create: true });
  } catch {
    return null; // no OPFS (a page not served over https or localhost): nothing is kept
  }
}

async function write(name: string, data: Uint8Array | string): Promise<void> {
  const d = await dir();
  if (!d) return;
  const w = await (await d.getFileHandle(name, { create: true })).createWritable();
  await w.write(data as FileSystemWriteChunkType);
  await w.close();
}

async function read(name: string): Promise<File | null> {
  const d = await dir();
  try {
    return d ? await (await d.getFileHandle(name)).getFile() : null;
  } catch {
    return null;
  }
}

export const saveState = (key: string, st: CollectState) => write(`${key}.state`, encodeState(st));
export async function loadState(key: string): Promise<CollectState | null> {
  const f = await read(`${key}.state`);
  return f ? decodeState(new Uint8Array(await f.arrayBuffer())) : null;
}

export async function saveDashboards(key: string, built: BuiltDashboards): Promise<void> {
  await write(`${key}.json`, JSON.stringify(built));
  await write(pairFile(built.meta.model, built.meta.sae), JSON.stringify({ key }));
  await (await dir())?.removeEntry(`${key}.state`).catch(() => undefined);
}

export async function loadDashboards(key: string): Promise<BuiltDashboards | null> {
  const f = await read(`${key}.json`);
  return f ? (JSON.parse(await f.text()) as BuiltDashboards) : null;
}

/** The last dashboards built (or imported) for this model and SAE, if any. */
export async function latestDashboards(model: string, sae: string): Promise<BuiltDashboards | null> {
  const f = await read(pairFile(model, sae));
  if (!f) return null;
  const { key } = JSON.parse(await f.text()) as { key: string };
  return loadDashboards(key);
}
