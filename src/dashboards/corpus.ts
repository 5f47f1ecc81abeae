// The text a dashboard build runs over: a local file (plain text split into documents on blank
// lines, JSON lines with a `text` field or else each line's first string field, or a parquet
// table's text column, each optionally gzipped), a Hub dataset file, or the corpus bundled with
// glassbox-mini. Documents are tokenized and cut into fixed-length contexts, each opened with the
// model's BOS when its tokenizer adds one, documents joined by the end-of-text token in between.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { ModelFileError } from '../errors';
import { cachedDownload } from '../store/download';
import type { HubAuth } from '../store/hub';
import { authHeaders } from '../store/hub';
import { gunzip } from '../store/labels';

export type CorpusSource =
  /** The bundled sample (public/models/glassbox-mini/corpus.jsonl) or any file at a URL. */
  | { kind: 'url'; url: string; name: string }
  /** A Hub dataset file, fetched through the configured endpoint and kept in OPFS (a resume works offline). */
  | { kind: 'hub'; endpoint: string; repo: string; revision: string; file: string; auth?: HubAuth }
  | { kind: 'file'; name: string; data: Blob | ArrayBuffer };

/** `<endpoint>/datasets/<repo>/resolve/<rev>/<file>`, as the Hub serves dataset files. */
export function hubDatasetUrl(s: { endpoint: string; repo: string; revision: string; file: string }): string {
  return `${s.endpoint.replace(/\/+$/, '')}/datasets/${s.repo}/resolve/${encodeURIComponent(s.revision)}/${s.file.split('/').map(encodeURIComponent).join('/')}`;
}

export const corpusName = (s: CorpusSource): string => (s.kind === 'hub' ? `${s.repo}/${s.file}` : s.name);

/** The corpus file's bytes: fetched, or read from the given file. */
export async function readCorpus(s: CorpusSource, signal?: AbortSignal): Promise<Uint8Array> {
  if (s.kind === 'file') return new Uint8Array(s.data instanceof Blob ? await s.data.arrayBuffer() : s.data);
  const url = s.kind === 'hub' ? hubDatasetUrl(s) : s.url;
  const name = corpusName(s);
  // a Hub file goes through the download cache (resumable, checked, offline later) where there is OPFS
  if (s.kind === 'hub' && typeof globalThis.navigator?.storage?.getDirectory === 'function') {
    return new Uint8Array(await (await cachedDownload(url, name, { signal, auth: s.auth })).arrayBuffer());
  }
  let res: Response;
  try {
    res = await fetch(url, { signal, headers: s.kind === 'hub' ? authHeaders(url, s.auth) : {} });
  } catch (e) {
    throw new ModelFileError(name, `could not be fetched (${(e as Error).message}). Check the network and the address, or pick a local file.`);
  }
  if (!res.ok) throw new ModelFileError(name, `answered HTTP ${res.status}${res.status === 404 ? ': no such file in the dataset (check the repo, revision and file name)' : res.status === 401 || res.status === 403 ? ': the dataset is gated or private; set a Hub access token' : ''}.`);
  return new Uint8Array(await res.arrayBuffer());
}

export const corpusHash = (bytes: Uint8Array): string => bytesToHex(sha256(bytes)).slice(0, 16);

const PARQUET_MAGIC = [0x50, 0x41, 0x52, 0x31]; // "PAR1"
const isParquet = (b: Uint8Array) => b.length >= 8 && PARQUET_MAGIC.every((m, i) => b[i] === m && b[b.length - 4 + i] === m);

/** The documents of a corpus file, by its content (gzip, parquet) and name (.jsonl/.json, else text). */
export async function parseCorpus(bytes: Uint8Array, file: string): Promise<string[]> {
  const data = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzip(bytes, file) : bytes;
  const name = file.replace(/\.gz$/i, '').toLowerCase();
  let docs: string[];
  if (isParquet(data)) docs = await parquetDocs(data, file);
  else if (name.endsWith('.parquet')) throw new ModelFileError(file, 'is not a parquet file (no PAR1 magic at its start and end). Download it again, or pick a .txt or .jsonl file.');
  else {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(data);
    } catch {
      throw new ModelFileError(file, 'is not UTF-8 text. Pick a .txt, .jsonl or .parquet file.');
    }
    docs = name.endsWith('.jsonl') || name.endsWith('.json') || name.endsWith('.ndjson') ? jsonlDocs(text, file) : textDocs(text);
  }
  docs = docs.filter((d) => d.trim());
  if (!docs.length) throw new ModelFileError(file, 'holds no text. Pick a file with some documents in it.');
  return docs;
}

/** Plain text: documents are separated by blank lines. */
export function textDocs(text: string): string[] {
  return text.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n+/).map((d) => d.trim()).filter(Boolean);
}

/** JSON lines: each line's `text` field, or else its first string field. */
export function jsonlDocs(text: string, file: string): string[] {
  const docs: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new ModelFileError(file, `line ${i + 1} is not JSON (${(e as Error).message}). Each line must be one JSON object with a "text" field.`);
    }
    const doc = typeof row === 'string' ? row : typeof row === 'object' && row !== null ? textField(row as Record<string, unknown>) : undefined;
    if (doc === undefined) throw new ModelFileError(file, `line ${i + 1} has no string field. Each line must be one JSON object with a "text" field.`);
    docs.push(doc);
  }
  return docs;
}

const textField = (row: Record<string, unknown>): string | undefined =>
  typeof row.text === 'string' ? row.text : (Object.values(row).find((v) => typeof v === 'string') as string | undefined);

/** A parquet table's `text` column, or else its first string column. */
async function parquetDocs(data: Uint8Array, file: string): Promise<string[]> {
  const buf = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  try {
    const meta = parquetMetadata(buf);
    const cols = parquetSchema(meta).children.filter((c) => c.element.type === 'BYTE_ARRAY').map((c) => c.element.name);
    const col = cols.includes('text') ? 'text' : cols[0];
    if (!col) throw new ModelFileError(file, 'has no string column. Pick a parquet table with a "text" column.');
    const rows = await parquetReadObjects({ file: buf, metadata: meta, columns: [col] });
    return rows.map((r) => r[col]).filter((v): v is string => typeof v === 'string');
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    throw new ModelFileError(file, `could not be read as parquet (${(e as Error).message}). Only uncompressed and snappy parquet is supported; convert it to .jsonl otherwise.`);
  }
}

export interface Contexts {
  /** (n, ctxLen) token ids, context after context. */
  ids: Uint32Array;
  n: number;
  ctxLen: number;
  /** Tokens in the documents read (for token frequencies). */
  tokensRead: number;
}

export interface Tokenize {
  /** ids without special tokens */
  plain(text: string): number[];
  /** what the tokenizer puts before every text on its own (a BOS), possibly nothing */
  prefix: number[];
  /** the token between two documents (end of text), or null */
  separator: number | null;
}

/**
 * Tokenizes documents until `nTokens` fill whole contexts of ctxLen: documents are joined into one
 * stream with the separator between them (as GPT-2 was trained), and each context opens with the
 * tokenizer's prefix (the BOS that models like Gemma expect at position 0), then ctxLen - prefix
 * stream tokens. Fewer contexts come back when the corpus runs out.
 */
export function cutContexts(docs: string[], tok: Tokenize, ctxLen: number, nTokens: number): Contexts {
  const body = ctxLen - tok.prefix.length;
  if (!(Number.isInteger(ctxLen) && body >= 1)) throw new RangeError(`ctxLen must be an integer above ${tok.prefix.length}, got ${ctxLen}`);
  const nWant = Math.max(1, Math.floor(nTokens / ctxLen));
  const stream: number[] = [];
  for (const d of docs) {
    if (stream.length >= nWant * body) break;
    if (stream.length && tok.separator !== null) stream.push(tok.separator);
    for (const id of tok.plain(d)) stream.push(id);
  }
  const n = Math.min(nWant, Math.floor(stream.length / body));
  const ids = new Uint32Array(n * ctxLen);
  for (let c = 0; c < n; c++) {
    ids.set(tok.prefix, c * ctxLen);
    for (let i = 0; i < body; i++) ids[c * ctxLen + tok.prefix.length + i] = stream[c * body + i];
  }
  return { ids, n, ctxLen, tokensRead: stream.length };
}
