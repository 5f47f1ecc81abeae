// Model files from a base URL (the bundled model under /models/<id>/, or a Hub-style
// .../resolve/main/ URL) or from files already in memory, with byte progress.
import { ModelFileError } from '../errors';
import type { FileSource, LoadProgress } from '../worker/api';
import { cachedDownload } from './download';
import { authHeaders, hubAuthError, type HubAuth } from './hub';

export type OnBytes = (file: string, loaded: number, total: number, extra?: Partial<LoadProgress>) => void;

export async function fetchWithProgress(url: string, file: string, onBytes?: OnBytes, signal?: AbortSignal, auth?: HubAuth): Promise<ArrayBuffer> {
  let res: Response;
  try {
    res = await fetch(url, { signal, headers: authHeaders(url, auth) });
  } catch (e) {
    throw new ModelFileError(file, `could not be fetched from ${url} (${(e as Error).message}). Check the connection or the URL.`);
  }
  if (res.status === 401 || res.status === 403) throw hubAuthError(res.status, file, url, auth);
  if (!res.ok) throw new ModelFileError(file, `HTTP ${res.status} from ${url}. Check that the model exists at that address.`);
  // A single-page-app server answers a missing file with index.html and status 200.
  if (res.headers.get('content-type')?.includes('text/html')) {
    throw new ModelFileError(file, `was not found at ${url} (the server sent a web page instead). Check the model's address.`);
  }
  const total = Number(res.headers.get('content-length') ?? 0);
  if (!res.body) return res.arrayBuffer();
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onBytes?.(file, loaded, total);
  }
  if (total && loaded !== total) throw new ModelFileError(file, `download stopped at ${loaded} of ${total} bytes. Try again.`);
  const out = new Uint8Array(loaded);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.byteLength;
  }
  return out.buffer;
}

/** Reads one file of a source; null when an optional file is absent. */
export async function readSourceFile(
  source: FileSource,
  file: string,
  optional: boolean,
  onBytes?: OnBytes,
  signal?: AbortSignal,
): Promise<ArrayBuffer | null> {
  if (source.kind === 'files') {
    const buf = source.files[file];
    if (buf) return buf;
    if (optional) return null;
    throw new ModelFileError(file, 'was not among the files given. A model folder needs config.json, model.safetensors and tokenizer.json.');
  }
  const url = source.baseUrl.replace(/\/?$/, '/') + file;
  const get = () =>
    source.cache
      ? cachedDownload(url, file, {
          signal,
          auth: source.auth,
          onProgress: (p) => onBytes?.(file, p.loaded, p.total, { bytesPerSec: p.bytesPerSec, etaSec: p.etaSec, fromCache: p.fromCache }),
        })
      : fetchWithProgress(url, file, onBytes, signal, source.auth);
  if (optional) {
    try {
      return await get();
    } catch (e) {
      // absent is fine; cancelled or refused (a gated repo) is not
      if (['DownloadCancelled', 'HubAuthError'].includes((e as Error).name)) throw e;
      return null;
    }
  }
  return get();
}
