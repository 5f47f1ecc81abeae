// Download faults against the local Hub-layout server (tests/helpers/hub_server.ts), calling
// cachedDownload directly: a connection cut (then a Range resume), a 5xx first or on the resume,
// a sha256 mismatch (also of a part damaged on disk), a server that ignores Range, a 401/403, a
// 404, and storage quota (up front, and a write failing mid-way). After each: a typed error that
// says what to do, no partial or unverified file ever counts as cached, and a later download
// yields exactly the right bytes. Also: the result is the OPFS File, never read whole.
import { afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { cachedDownload, clearDownloads, isCached } from '../../src/store/download';
import { hubFolderUrl } from '../../src/store/hub';
import { MissingFileError } from '../../src/errors';
import type { DownloadJob, DownloadOutcome } from '../helpers/download_worker';

const hub = inject('hubUrl');
type Hit = { path: string; range: string | null; status: number };

const hex = (b: ArrayBuffer) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
const sha256 = async (data: BufferSource) => hex(await crypto.subtle.digest('SHA-256', data));
const shaOf = async (b: Blob) => sha256(await b.arrayBuffer());

let files = 0;
/** A new file of `size` random bytes on the server: its URL, "repo/path" key, size and sha256. */
async function serve(size = 300_000) {
  const repo = `faults/f${++files}`;
  const key = `${repo}/model.safetensors`;
  const { sha256: sha } = (await (await fetch(`${hub}/__make/${encodeURIComponent(key)}?size=${size}`)).json()) as { sha256: string };
  return { url: `${hubFolderUrl(hub, repo)}model.safetensors`, key, size, sha };
}

const arm = (fault: string, key: string, query = '') => fetch(`${hub}/__arm-${fault}/${encodeURIComponent(key)}${query}`);
const hits = async (key: string) => ((await (await fetch(`${hub}/__log`)).json()) as Hit[]).filter((h) => h.path === key);

/** The download's partial file in OPFS (null when there is none). */
async function partOf(url: string): Promise<FileSystemFileHandle | null> {
  const root = await navigator.storage.getDirectory();
  const d = await root.getDirectoryHandle('glassbox-downloads', { create: true });
  return d.getFileHandle(`${await sha256(new TextEncoder().encode(url))}.part`).catch(() => null);
}

/** Downloads `url` with no fault armed and checks it is complete, right, and cached. */
async function expectGood(f: { url: string; sha: string; size: number }) {
  const blob = await cachedDownload(f.url, 'model.safetensors');
  expect(blob.size).toBe(f.size);
  expect(await shaOf(blob)).toBe(f.sha);
  expect(await isCached(f.url)).toBe(true);
  expect(await partOf(f.url)).toBeNull();
}

/** The size of the download's part file in OPFS. */
const partSize = async (url: string) => (await (await partOf(url))!.getFile()).size;

/**
 * Cuts the connection after `n` bytes of the next download of `f`: it fails as interrupted and
 * keeps, as its part, every byte that it took in (all `n`, unless the browser dropped some it held
 * when the connection died). Returns that size.
 */
async function cut(f: { url: string; key: string; size: number }, n: number): Promise<number> {
  await arm('cut-at', f.key, `?bytes=${n}`);
  const err = (await cachedDownload(f.url, 'model.safetensors').catch((e: Error) => e)) as Error;
  const kept = await partSize(f.url);
  expect(kept).toBeGreaterThan(0);
  expect(kept).toBeLessThanOrEqual(n);
  expect(err).toMatchObject({
    name: 'ModelFileError',
    message: `model.safetensors: download interrupted at ${kept} of ${f.size} bytes (network error). Check the connection, then retry: it resumes from there.`,
  });
  expect(await isCached(f.url)).toBe(false);
  return kept;
}

/** Runs one cachedDownload in a dedicated worker (a sync access handle writes the part there). */
async function inWorker(job: DownloadJob): Promise<DownloadOutcome> {
  const w = new Worker(new URL('../helpers/download_worker.ts', import.meta.url), { type: 'module' });
  try {
    return await new Promise<DownloadOutcome>((resolve, reject) => {
      w.onmessage = (e) => resolve(e.data);
      w.onerror = (e) => reject(new Error(`download worker: ${e.message}`));
      w.postMessage(job);
    });
  } finally {
    w.terminate();
  }
}

beforeAll(async () => {
  await clearDownloads();
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('download faults', () => {
  it('resumes after a connection cut with Range: bytes=N- and yields exactly the right bytes', async () => {
    const f = await serve();
    const kept = await cut(f, 100_000);
    await expectGood(f);
    expect((await hits(f.key)).map((h) => [h.status, h.range])).toEqual([[200, null], [206, `bytes=${kept}-`]]);
  });

  it('cancelled after several commits, resumes by hashing the part from OPFS first; commits space out as the file grows', async () => {
    const MiB = 2 ** 20;
    const f = await serve(6 * MiB);
    await arm('slow', f.key, `?chunk=${MiB / 4}&ms=20`);
    const opens = vi.spyOn(FileSystemFileHandle.prototype, 'createWritable');
    const stop = new AbortController();
    const first = cachedDownload(f.url, 'model.safetensors', { commitBytes: MiB, signal: stop.signal, onProgress: (p) => p.loaded > 4.5 * MiB && stop.abort() });
    await expect(first).rejects.toMatchObject({ name: 'DownloadCancelled', message: expect.stringMatching(/^Download of model\.safetensors cancelled at \d\.\d MB; it resumes from there\.$/) });
    // a commit on the main thread reopens the file, which copies it: at ~1, 2, 4 MiB, not every MiB
    expect(opens.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(opens.mock.calls.length).toBeLessThanOrEqual(4);
    vi.restoreAllMocks();
    expect(await isCached(f.url)).toBe(false);
    const kept = await partSize(f.url);
    expect(kept).toBeGreaterThan(4.5 * MiB);
    await expectGood(f);
    expect((await hits(f.key)).map((h) => [h.status, h.range])).toEqual([[200, null], [206, `bytes=${kept}-`]]);
  });

  it('a cut mid-file, then HTTP 503 on the resume: says the server failed and keeps the part; the next try resumes', async () => {
    const f = await serve();
    const kept = await cut(f, 100_000);
    await arm('status', f.key, '?code=503');
    await expect(cachedDownload(f.url, 'model.safetensors')).rejects.toMatchObject({
      name: 'ModelFileError',
      message: expect.stringMatching(/the server failed \(HTTP 503 from .*\)\. This is on the server's side: wait a moment, then retry\. The 0\.1 MB already downloaded are kept: the retry resumes from there\./),
    });
    expect(await isCached(f.url)).toBe(false);
    expect(await partSize(f.url)).toBe(kept);
    await expectGood(f);
    expect((await hits(f.key)).map((h) => [h.status, h.range])).toEqual([[200, null], [503, `bytes=${kept}-`], [206, `bytes=${kept}-`]]);
  });

  it('HTTP 500 or 503 on the first request: says the server failed and to retry, and leaves nothing behind', async () => {
    const f = await serve();
    for (const code of [500, 503]) {
      await arm('status', f.key, `?code=${code}`);
      await expect(cachedDownload(f.url, 'model.safetensors')).rejects.toMatchObject({
        name: 'ModelFileError',
        message: expect.stringMatching(new RegExp(`^model\\.safetensors: the server failed \\(HTTP ${code} from .*\\)\\. This is on the server's side: wait a moment, then retry\\.$`)),
      });
      expect(await isCached(f.url)).toBe(false);
      expect(await partOf(f.url)).toBeNull();
    }
    await expectGood(f);
  });

  it('a sha256 mismatch: the download is deleted, never cached, and the retry fetches it whole', async () => {
    const f = await serve();
    await arm('wrong-sha', f.key);
    await expect(cachedDownload(f.url, 'model.safetensors')).rejects.toMatchObject({
      name: 'ModelFileError',
      message: expect.stringMatching(/failed its integrity check: its sha256 is [0-9a-f]{12}… but the server says [0-9a-f]{12}…\. The damaged copy was deleted; retry to download it again\./),
    });
    expect(await isCached(f.url)).toBe(false);
    expect(await partOf(f.url)).toBeNull();
    await expectGood(f);
    expect((await hits(f.key)).map((h) => [h.status, h.range])).toEqual([[200, null], [200, null]]);
  });

  it('a part damaged on disk fails the sha256 check of the resumed download (the part is hashed too)', async () => {
    const f = await serve();
    const kept = await cut(f, 100_000);
    const part = (await partOf(f.url))!;
    const byte = new Uint8Array(await (await part.getFile()).slice(10, 11).arrayBuffer());
    const w = await part.createWritable({ keepExistingData: true });
    await w.write({ type: 'write', position: 10, data: new Uint8Array([byte[0] ^ 0xff]) });
    await w.close();
    await expect(cachedDownload(f.url, 'model.safetensors')).rejects.toMatchObject({ name: 'ModelFileError', message: expect.stringMatching(/failed its integrity check/) });
    expect(await isCached(f.url)).toBe(false);
    expect(await partOf(f.url)).toBeNull();
    await expectGood(f);
    expect((await hits(f.key)).map((h) => [h.status, h.range])).toEqual([[200, null], [206, `bytes=${kept}-`], [200, null]]);
  });

  it('a server that ignores Range (200 with the whole body): the download starts over cleanly, not appended', async () => {
    const f = await serve();
    const kept = await cut(f, 100_000);
    await arm('ignore-range', f.key);
    await expectGood(f);
    expect((await hits(f.key)).map((h) => [h.status, h.range])).toEqual([[200, null], [200, `bytes=${kept}-`]]);
  });

  it('HTTP 401 and 403: HubAuthError that says what to do, never naming the token', async () => {
    const f = await serve();
    await arm('status', f.key, '?code=401');
    await expect(cachedDownload(f.url, 'model.safetensors')).rejects.toMatchObject({
      name: 'HubAuthError',
      message: expect.stringMatching(/HTTP 401 for model\.safetensors: this repo is gated or private and no access token is set\. Accept the licence/),
    });
    await arm('status', f.key, '?code=403');
    const auth = { token: 'hf_secret_token', origin: new URL(hub).origin };
    const err = await cachedDownload(f.url, 'model.safetensors', { auth }).catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'HubAuthError', message: expect.stringMatching(/HTTP 403 for model\.safetensors: the access token was refused/) });
    expect((err as Error).message).not.toContain('hf_secret_token');
    expect(await isCached(f.url)).toBe(false);
    expect(await partOf(f.url)).toBeNull();
    await expectGood(f);
  });

  it('HTTP 404: a MissingFileError (optional files are then remembered absent) saying to check the address; nothing left behind', async () => {
    const url = `${hubFolderUrl(hub, 'faults/missing')}model.safetensors`;
    const err = await cachedDownload(url, 'model.safetensors').catch((e: Error) => e);
    expect(err).toBeInstanceOf(MissingFileError);
    expect(err).toMatchObject({
      name: 'ModelFileError',
      message: expect.stringMatching(/was not found at .*faults\/missing.* \(HTTP 404\)\. Check the model's address/),
    });
    expect(await isCached(url)).toBe(false);
    expect(await partOf(url)).toBeNull();
  });

  it('storage quota, checked up front (counting what a resume still needs): StorageQuotaError, then resumes once space is free', async () => {
    const f = await serve();
    const kept = await cut(f, 100_000);
    vi.spyOn(navigator.storage, 'estimate').mockResolvedValue({ quota: 1_000_000, usage: 850_000 });
    await expect(cachedDownload(f.url, 'model.safetensors')).rejects.toMatchObject({
      name: 'StorageQuotaError',
      message: `model.safetensors needs ${((300_000 - kept) / 1e6).toFixed(1)} MB more of browser storage but only 0.1 MB is free. Free space in this site's storage (or on disk), then retry.`,
    });
    expect(await isCached(f.url)).toBe(false);
    vi.restoreAllMocks();
    await expectGood(f);
    expect((await hits(f.key)).map((h) => [h.status, h.range])).toEqual([[200, null], [206, `bytes=${kept}-`], [206, `bytes=${kept}-`]]);
  });

  it('storage quota running out mid-way (a write fails with QuotaExceededError): StorageQuotaError, part kept, the retry resumes', async () => {
    const f = await serve();
    const write = FileSystemWritableFileStream.prototype.write;
    let written = 0;
    vi.spyOn(FileSystemWritableFileStream.prototype, 'write').mockImplementation(function (this: FileSystemWritableFileStream, data) {
      const n = (data as Uint8Array).byteLength;
      if (written + n > 100_000) return Promise.reject(new DOMException('The quota has been exceeded.', 'QuotaExceededError'));
      written += n;
      return write.call(this, data);
    });
    await arm('slow', f.key); // 16 KB chunks
    await expect(cachedDownload(f.url, 'model.safetensors', { commitBytes: 32768 })).rejects.toMatchObject({
      name: 'StorageQuotaError',
      message: expect.stringMatching(/^Browser storage ran out while downloading model\.safetensors, at 0\.\d MB of 0\.3 MB\. The part already downloaded is kept\. Free space .* then retry: it resumes from there\.$/),
    });
    expect(await isCached(f.url)).toBe(false);
    expect(await partSize(f.url)).toBe(written);
    vi.restoreAllMocks();
    await expectGood(f);
    expect((await hits(f.key)).map((h) => [h.status, h.range])).toEqual([[200, null], [206, `bytes=${written}-`]]);
  });

  it('resolves to the OPFS File itself: never reads the file whole, nor hashes it in one piece; joins a download in flight', async () => {
    const f = await serve();
    await cut(f, 100_000);
    const reads = [vi.spyOn(Blob.prototype, 'arrayBuffer'), vi.spyOn(Response.prototype, 'arrayBuffer'), vi.spyOn(crypto.subtle, 'digest')];
    const p = cachedDownload(f.url, 'model.safetensors');
    expect(cachedDownload(f.url, 'model.safetensors')).toBe(p); // the second request joins the first
    const blob = await p;
    const cached = await cachedDownload(f.url, 'model.safetensors');
    for (const s of reads) expect(s).not.toHaveBeenCalled();
    vi.restoreAllMocks();
    expect(blob).toBeInstanceOf(File);
    expect(cached).toBeInstanceOf(File);
    expect(await shaOf(blob)).toBe(f.sha);
    expect(await shaOf(cached)).toBe(f.sha);
    expect((await hits(f.key)).map((h) => h.status)).toEqual([200, 206]); // the cache hit asked nothing
  });

  it('in a Web Worker (sync access handle): a cut, then storage running out, each resumed; the exact bytes at the end', async () => {
    const f = await serve(3_000_000);
    await arm('cut-at', f.key, '?bytes=1000000');
    const first = await inWorker({ url: f.url });
    const cutKept = await partSize(f.url);
    expect(cutKept).toBeGreaterThan(0);
    expect(cutKept).toBeLessThanOrEqual(1_000_000);
    expect(first).toMatchObject({ ok: false, name: 'ModelFileError', message: expect.stringContaining(`interrupted at ${cutKept} of 3000000 bytes`) });
    expect(await isCached(f.url)).toBe(false);
    expect(await inWorker({ url: f.url, quotaAfter: 500_000 })).toMatchObject({
      ok: false,
      name: 'StorageQuotaError',
      message: expect.stringMatching(/^Browser storage ran out while downloading model\.safetensors, at \d\.\d MB of 3\.0 MB\./),
    });
    expect(await isCached(f.url)).toBe(false);
    const kept = await partSize(f.url);
    expect(kept).toBe(cutKept + 500_000); // what fit, kept: a prefix of the file all the same
    expect(await inWorker({ url: f.url })).toEqual({ ok: true, size: 3_000_000, sha: f.sha, isFile: true });
    expect(await isCached(f.url)).toBe(true);
    expect((await hits(f.key)).map((h) => [h.status, h.range])).toEqual([[200, null], [206, `bytes=${cutKept}-`], [206, `bytes=${kept}-`]]);
  });
});
