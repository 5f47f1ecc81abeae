// Downloads that survive interruptions: bytes stream into the Origin Private File System as they
// arrive (committed every few MB), an interrupted download resumes with an HTTP Range request,
// the finished file is checked against the server's size and sha256 (the Hub's X-Linked-ETag
// for LFS files), and later opens read it from OPFS with no network.
import { DownloadCancelled, ModelFileError, StorageQuotaError } from '../errors';
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
  /** Bytes between commits to OPFS: what an interruption can lose at most. */
  commitBytes?: number;
  /** A Hub token: sent only when the URL is on its origin. The cache key is the URL alone. */
  auth?: HubAuth;
}

const DIR = 'glassbox-downloads';

async function hex(data: BufferSource): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

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

/** Is `url` fully downloaded already? */
export async function isCached(url: string): Promise<boolean> {
  return (await fileIfExists(await dir(), await hex(new TextEncoder().encode(url)))) !== null;
}

export async function clearDownloads(): Promise<void> {
  const root = await navigator.storage.getDirectory();
  await root.removeEntry(DIR, { recursive: true }).catch(() => undefined);
}

/** Downloads in flight, by URL: a second request for the same file joins the first. */
const inflight = new Map<string, Promise<ArrayBuffer>>();

export function cachedDownload(url: string, file: string, opts: DownloadOptions = {}): Promise<ArrayBuffer> {
  let p = inflight.get(url);
  if (!p) {
    p = download(url, file, opts).finally(() => inflight.delete(url));
    inflight.set(url, p);
  }
  return p;
}

async function download(url: string, file: string, opts: DownloadOptions): Promise<ArrayBuffer> {
  const d = await dir();
  const key = await hex(new TextEncoder().encode(url));
  const done = await fileIfExists(d, key);
  if (done) {
    opts.onProgress?.({ file, loaded: done.size, total: done.size, bytesPerSec: 0, etaSec: 0, fromCache: true });
    return done.arrayBuffer();
  }
  const partName = `${key}.part`;
  const partHandle = await d.getFileHandle(partName, { create: true });
  let have = (await partHandle.getFile()).size;
  let res: Response;
  try {
    res = await fetch(url, { headers: { ...authHeaders(url, opts.auth), ...(have ? { Range: `bytes=${have}-` } : {}) }, signal: opts.signal });
  } catch (e) {
    if (opts.signal?.aborted) throw new DownloadCancelled(`Download of ${file} cancelled.`);
    throw new ModelFileError(file, `could not be fetched from ${url} (${(e as Error).message}). Check the connection, then retry: the download resumes.`);
  }
  if (res.status === 401 || res.status === 403) throw hubAuthError(res.status, file, url, opts.auth);
  if (!res.ok) throw new ModelFileError(file, `HTTP ${res.status} from ${url}. Check the model's address and the Hub endpoint.`);
  if (res.status !== 206) have = 0; // the server ignored the range: start over
  const range = /\/(\d+)$/.exec(res.headers.get('content-range') ?? '');
  const total = range ? Number(range[1]) : have + Number(res.headers.get('content-length') ?? 0);
  const sha = sha256FromHeaders(res.headers);

  if (navigator.storage.persist) await navigator.storage.persist().catch(() => false);
  const { quota = Infinity, usage = 0 } = await navigator.storage.estimate();
  if (total && total - have > quota - usage) {
    throw new StorageQuotaError(
      `${file} needs ${((total - have) / 1e6).toFixed(0)} MB of browser storage but only ${((quota - usage) / 1e6).toFixed(0)} MB is free. ` +
        'Free space in this site\'s storage (or on disk), then retry.',
    );
  }

  const commitBytes = opts.commitBytes ?? 8 * 2 ** 20;
  let writable = await partHandle.createWritable({ keepExistingData: have > 0 });
  await writable.seek(have);
  if (have === 0) await writable.truncate(0);
  let sinceCommit = 0;
  const t0 = performance.now();
  const start = have;
  const reader = res.body!.getReader();
  try {
    for (;;) {
      const { done: end, value } = await reader.read();
      if (end) break;
      await writable.write(value);
      have += value.byteLength;
      sinceCommit += value.byteLength;
      if (sinceCommit >= commitBytes) {
        await writable.close(); // commits: an interruption now loses at most commitBytes
        writable = await partHandle.createWritable({ keepExistingData: true });
        await writable.seek(have);
        sinceCommit = 0;
      }
      const secs = (performance.now() - t0) / 1000;
      const rate = secs > 0 ? (have - start) / secs : 0;
      opts.onProgress?.({ file, loaded: have, total, bytesPerSec: rate, etaSec: rate ? (total - have) / rate : Infinity, fromCache: false });
    }
  } catch (e) {
    await writable.close().catch(() => undefined); // keep what arrived, for the resume
    if (opts.signal?.aborted) throw new DownloadCancelled(`Download of ${file} cancelled at ${(have / 1e6).toFixed(1)} MB; it resumes from there.`);
    throw new ModelFileError(file, `download interrupted at ${have} of ${total} bytes (${(e as Error).message}). Retry: it resumes from there.`);
  }
  await writable.close();
  const bytes = await (await partHandle.getFile()).arrayBuffer();
  if (total && bytes.byteLength !== total) {
    throw new ModelFileError(file, `download ended at ${bytes.byteLength} of ${total} bytes. Retry: it resumes from there.`);
  }
  if (sha && (await hex(bytes)) !== sha) {
    await d.removeEntry(partName);
    throw new ModelFileError(file, `failed its integrity check (sha256 differs from the server's ${sha.slice(0, 12)}…). It was deleted; retry to download it again.`);
  }
  await (partHandle as FileSystemFileHandle & { move(name: string): Promise<void> }).move(key);
  return bytes;
}
