// Downloads that survive interruptions: bytes stream into the Origin Private File System as they
// arrive (committed every few MB), an interrupted download resumes with an HTTP Range request,
// the finished file is checked against the server's size and sha256 (the Hub's X-Linked-ETag
// for LFS files), and later opens read it from OPFS with no network. No file is ever held whole
// in memory: the sha256 is computed chunk by chunk as bytes arrive (on a resume, the part already
// on disk is streamed through it first), and the result is the OPFS File itself, a Blob read
// lazily. Only a complete, verified file gets the cache's name: a partial one stays `<key>.part`.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { DownloadCancelled, MissingFileError, ModelFileError, StorageQuotaError } from '../errors';
import { authHeaders, hubAuthError, type HubAuth } from './hub';

export interface DownloadProgress {
  file: string;
  loaded: number;
  total: number;
  bytesPerSec: number;
  etaSec: number;
  fromCache: boolean;
}

export interface DownloadOptions {
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /**
   * Bytes between commits to OPFS: what a crash can lose at most (a cut, an error or a cancel
   * loses nothing). In a worker exactly so; on the main thread at least so, growing with the file.
   */
  commitBytes?: number;
  /** A Hub token: sent only when the URL is on its origin. The cache key is the URL alone. */
  auth?: HubAuth;
}

const DIR = 'glassbox-downloads';
type Hasher = ReturnType<typeof sha256.create>;

const cacheKey = (url: string) => bytesToHex(sha256(utf8ToBytes(url)));
const mb = (n: number) => `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;

async function dir(): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle(DIR, { create: true });
}

async function fileIfExists(d: FileSystemDirectoryHandle, name: string): Promise<File | null> {
  try {
    return await (await d.getFileHandle(name)).getFile();
  } catch {
    return null;
  }
}

/** The sha256 a server vouches for: the Hub's X-Linked-ETag (LFS), or an ETag that is one. */
export function sha256FromHeaders(h: Headers): string | null {
  for (const name of ['x-linked-etag', 'etag']) {
    const m = /^(?:W\/)?"?([0-9a-f]{64})"?$/.exec(h.get(name) ?? '');
    if (m) return m[1];
  }
  return null;
}

/** Is `url` fully downloaded and verified? (A partial or failed download never counts.) */
export async function isCached(url: string): Promise<boolean> {
  return (await fileIfExists(await dir(), cacheKey(url))) !== null;
}

export async function clearDownloads(): Promise<void> {
  const root = await navigator.storage.getDirectory();
  await root.removeEntry(DIR, { recursive: true }).catch(() => undefined);
}

/** Downloads in flight, by URL: a second request for the same file joins the first. */
const inflight = new Map<string, Promise<Blob>>();

/** `url` as a Blob backed by its file in OPFS (downloaded first unless cached); never read whole. */
export function cachedDownload(url: string, file: string, opts: DownloadOptions = {}): Promise<Blob> {
  let p = inflight.get(url);
  if (!p) {
    p = download(url, file, opts).finally(() => inflight.delete(url));
    inflight.set(url, p);
  }
  return p;
}

const cancelled = (file: string, have: number) =>
  new DownloadCancelled(`Download of ${file} cancelled${have ? ` at ${mb(have)}; it resumes from there` : ''}.`);

/** Streams `blob` through `hash` chunk by chunk (the part of a resumed download). */
async function hashBlob(hash: Hasher, blob: Blob, file: string, signal?: AbortSignal): Promise<void> {
  const reader = blob.stream().getReader();
  for (;;) {
    if (signal?.aborted) {
      await reader.cancel().catch(() => undefined);
      throw cancelled(file, blob.size);
    }
    const { done, value } = await reader.read();
    if (done) return;
    hash.update(value);
  }
}

/** Writes the part file from byte `at` on (cutting it there), committing as it goes. */
interface PartWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Commits what was written and releases the file. */
  close(): Promise<void>;
}

async function partWriter(h: FileSystemFileHandle, at: number, commitBytes: number): Promise<PartWriter> {
  let since = 0;
  if (typeof (h as Partial<FileSystemFileHandle>).createSyncAccessHandle === 'function') {
    // a dedicated worker (where the engine runs): writes land in place, flush() commits them
    const sah = await h.createSyncAccessHandle();
    try {
      sah.truncate(at);
    } catch (e) {
      sah.close();
      throw e;
    }
    return {
      async write(chunk) {
        sah.write(chunk, { at });
        at += chunk.byteLength;
        since += chunk.byteLength;
        if (since >= commitBytes) {
          sah.flush();
          since = 0;
        }
      },
      async close() {
        try {
          sah.flush();
        } finally {
          sah.close();
        }
      },
    };
  }
  // elsewhere, a writable stream: it writes to a copy, and reopening it to go on copies the whole
  // file so far, so commits come every commitBytes or every size-so-far, whichever is more: all
  // the copying adds up to about the file's size, not its square over commitBytes
  let w = await h.createWritable({ keepExistingData: at > 0 });
  if (at) await w.seek(at);
  else await w.truncate(0);
  let closed = false;
  return {
    async write(chunk) {
      await w.write(chunk as Uint8Array<ArrayBuffer>);
      at += chunk.byteLength;
      since += chunk.byteLength;
      if (since >= Math.max(commitBytes, at - since)) {
        closed = true;
        await w.close();
        w = await h.createWritable({ keepExistingData: true });
        closed = false;
        await w.seek(at);
        since = 0;
      }
    },
    async close() {
      if (!closed) await w.close();
    },
  };
}

async function request(url: string, file: string, have: number, opts: DownloadOptions): Promise<Response> {
  try {
    // no-store: OPFS is the cache; the HTTP cache would keep a second copy and answer ranges itself
    const headers = { ...authHeaders(url, opts.auth), ...(have ? { Range: `bytes=${have}-` } : {}) };
    return await fetch(url, { headers, signal: opts.signal, cache: 'no-store' });
  } catch (e) {
    if (opts.signal?.aborted) throw cancelled(file, have);
    throw new ModelFileError(file, `could not be fetched from ${url} (${(e as Error).message}). Check the connection, then retry${have ? ': the download resumes' : ''}.`);
  }
}

/** A refused or failed response as the typed error that says what to do. */
function failure(res: Response, url: string, file: string, have: number, opts: DownloadOptions): Error {
  const s = res.status;
  if (s === 401 || s === 403) return hubAuthError(s, file, url, opts.auth);
  const kept = have ? ` The ${mb(have)} already downloaded are kept: the retry resumes from there.` : '';
  if (s >= 500) return new ModelFileError(file, `the server failed (HTTP ${s} from ${url}). This is on the server's side: wait a moment, then retry.${kept}`);
  if (s === 429) return new ModelFileError(file, `the server is rate-limiting downloads (HTTP 429 from ${url}). Wait a minute, then retry.${kept}`);
  if (s === 404) return new MissingFileError(file, `was not found at ${url} (HTTP 404). Check the model's address, revision and the Hub endpoint.`);
  return new ModelFileError(file, `HTTP ${s} from ${url}. Check the model's address and the Hub endpoint.`);
}

async function download(url: string, file: string, opts: DownloadOptions): Promise<Blob> {
  const d = await dir();
  const key = cacheKey(url);
  const done = await fileIfExists(d, key);
  if (done) {
    opts.onProgress?.({ file, loaded: done.size, total: done.size, bytesPerSec: 0, etaSec: 0, fromCache: true });
    return done;
  }
  const partName = `${key}.part`;
  const dropPart = () => d.removeEntry(partName).catch(() => undefined);
  const part = await fileIfExists(d, partName);
  let have = part?.size ?? 0;
  let hash = sha256.create();
  if (part && have) await hashBlob(hash, part, file, opts.signal); // before the request: no idle connection

  let res = await request(url, file, have, opts);
  if (res.status === 416 && have) {
    // the part is no prefix of the file as it is now (it changed, or the part is too long): start over
    await res.body?.cancel();
    await dropPart();
    [have, hash] = [0, sha256.create()];
    res = await request(url, file, 0, opts);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    if (res.status === 404) await dropPart(); // gone: its part is of no use
    throw failure(res, url, file, have, opts);
  }
  if (res.headers.get('content-type')?.includes('text/html')) {
    // a single-page-app server answers a missing file with its index.html and 200: never cache that
    await res.body?.cancel().catch(() => undefined);
    throw new MissingFileError(file, `was not found at ${url} (the server sent a web page instead). Check the model's address.`);
  }
  const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
  const from = res.status === 206 ? Number(range?.[1] ?? NaN) : 0;
  if (from !== have) {
    if (from !== 0) {
      await res.body?.cancel().catch(() => undefined);
      await dropPart();
      throw new ModelFileError(file, `the server answered a resume from byte ${have} with bytes from ${range?.[1] ?? 'an unknown offset'}. The partial download was deleted; retry to download it whole.`);
    }
    [have, hash] = [0, sha256.create()]; // the server ignored the Range (a 200, the whole body): start over, not append
  }
  const total = range && range[2] !== '*' ? Number(range[2]) : have + Number(res.headers.get('content-length') ?? 0);
  const sha = sha256FromHeaders(res.headers);

  if (navigator.storage.persist) await navigator.storage.persist().catch(() => false);
  const { quota = Infinity, usage = 0 } = await navigator.storage.estimate();
  if (total && total - have > quota - usage) {
    await res.body?.cancel().catch(() => undefined);
    throw new StorageQuotaError(
      `${file} needs ${mb(total - have)} more of browser storage but only ${mb(Math.max(0, quota - usage))} is free. ` +
        "Free space in this site's storage (or on disk), then retry.",
    );
  }

  const partHandle = await d.getFileHandle(partName, { create: true });
  const t0 = performance.now();
  const start = have;
  const reader = res.body!.getReader();
  let writer: PartWriter | null = null;
  let reading = false; // false while writing: tells a network failure from a storage one
  try {
    writer = await partWriter(partHandle, have, opts.commitBytes ?? 8 * 2 ** 20);
    for (;;) {
      reading = true;
      const { done: end, value } = await reader.read();
      reading = false;
      if (end) break;
      await writer.write(value);
      hash.update(value);
      have += value.byteLength;
      const secs = (performance.now() - t0) / 1000;
      const rate = secs > 0 ? (have - start) / secs : 0;
      opts.onProgress?.({ file, loaded: have, total, bytesPerSec: rate, etaSec: rate ? (total - have) / rate : Infinity, fromCache: false });
    }
    const w = writer;
    writer = null;
    await w.close();
  } catch (e) {
    await writer?.close().catch(() => undefined); // keep what was written, for the resume
    await reader.cancel().catch(() => undefined);
    if (opts.signal?.aborted) throw cancelled(file, have);
    const err = e as Error;
    if (err?.name === 'QuotaExceededError') {
      throw new StorageQuotaError(
        `Browser storage ran out while downloading ${file}, at ${mb(have)} of ${mb(total)}. The part already downloaded is kept. ` +
          "Free space in this site's storage (or on disk), then retry: it resumes from there.",
      );
    }
    if (err?.name === 'NoModificationAllowedError') {
      throw new ModelFileError(file, 'is being downloaded in another tab or window. Wait for it there (or close that tab), then load it again.');
    }
    if (reading) throw new ModelFileError(file, `download interrupted at ${have} of ${total} bytes (${err?.message}). Check the connection, then retry: it resumes from there.`);
    throw new ModelFileError(file, `could not be saved to browser storage at ${have} of ${total} bytes (${err?.name}: ${err?.message}). Retry: it resumes from there.`);
  }
  if (total && have !== total) {
    if (have > total) await dropPart();
    throw new ModelFileError(file, `download ended at ${have} of ${total} bytes. Retry: it ${have > total ? 'starts over' : 'resumes from there'}.`);
  }
  const got = bytesToHex(hash.digest());
  if (sha && got !== sha) {
    await dropPart();
    throw new ModelFileError(
      file,
      `failed its integrity check: its sha256 is ${got.slice(0, 12)}… but the server says ${sha.slice(0, 12)}…. ` +
        'The damaged copy was deleted; retry to download it again.',
    );
  }
  await (partHandle as FileSystemFileHandle & { move(name: string): Promise<void> }).move(key);
  return (await d.getFileHandle(key)).getFile();
}
