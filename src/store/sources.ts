// Model files from a base URL (the bundled model under /models/<id>/, or a Hub-style
// .../resolve/main/ URL) or from files already in memory, with byte progress.
import { MissingFileError, ModelFileError } from '../errors';
import type { FileSource, LoadProgress } from '../worker/api';
import { cachedDownload } from './download';
import { authHeaders, hubAuthError, type HubAuth } from './hub';

export type OnBytes = (file: string, loaded: number, total: number, extra?: Partial<LoadProgress>) => void;

/** A whole file over HTTP, as a Blob of the chunks as they came (no copy into one buffer). */
export async function fetchWithProgress(url: string, file: string, onBytes?: OnBytes, signal?: AbortSignal, auth?: HubAuth): Promise<Blob> {
  let res: Response;
  try {
    res = await fetch(url, { signal, headers: authHeaders(url, auth) });
  } catch (e) {
    throw new ModelFileError(file, `could not be fetched from ${url} (${(e as Error).message}). Check the connection or the URL.`);
  }
  if (res.status === 401 || res.status === 403) throw hubAuthError(res.status, file, url, auth);
  if (res.status === 404) throw new MissingFileError(file, `was not found at ${url} (HTTP 404). Check the model's address.`);
  if (!res.ok) throw new ModelFileError(file, `HTTP ${res.status} from ${url}. Check that the model exists at that address.`);
  // A single-page-app server answers a missing file with index.html and status 200.
  if (res.headers.get('content-type')?.includes('text/html')) {
    throw new MissingFileError(file, `was not found at ${url} (the server sent a web page instead). Check the model's address.`);
  }
  const total = Number(res.headers.get('content-length') ?? 0);
  if (!res.body) return res.blob();
  const reader = res.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value as Uint8Array<ArrayBuffer>);
    loaded += value.byteLength;
    onBytes?.(file, loaded, total);
  }
  if (total && loaded !== total) throw new ModelFileError(file, `download stopped at ${loaded} of ${total} bytes. Try again.`);
  return new Blob(chunks);
}

/**
 * Opens one file of a source without reading it into memory: a local File, a file in the
 * download cache (OPFS), or the chunks of an uncached fetch. Null when an optional file is absent.
 */
export async function openSourceFile(
  source: FileSource,
  file: string,
  optional: boolean,
  onBytes?: OnBytes,
  signal?: AbortSignal,
): Promise<Blob | null> {
  if (source.kind === 'files') {
    const f = source.files[file];
    if (f) return f instanceof Blob ? f : new Blob([f]);
    if (optional) return null;
    throw new ModelFileError(file, 'was not among the files given. A model folder needs config.json, model.safetensors and tokenizer.json.');
  }
  const url = source.baseUrl.replace(/\/?$/, '/') + file;
  const get = async (): Promise<Blob> => {
    if (!source.cache) return fetchWithProgress(url, file, onBytes, signal, source.auth);
    return cachedDownload(url, file, {
      signal,
      auth: source.auth,
      onProgress: (p) => onBytes?.(file, p.loaded, p.total, { bytesPerSec: p.bytesPerSec, etaSec: p.etaSec, fromCache: p.fromCache }),
    });
  };
  if (!optional) return get();
  // an optional file the server said was absent is not asked for again (offline reloads send nothing)
  if (source.cache && (await knownAbsent(url))) return null;
  try {
    return await get();
  } catch (e) {
    if (e instanceof MissingFileError) {
      if (source.cache) await markAbsent(url);
      return null;
    }
    // absent is fine; cancelled or refused (a gated repo) is not
    if (['DownloadCancelled', 'HubAuthError'].includes((e as Error).name)) throw e;
    return null;
  }
}

const ABSENT = 'glassbox-absent-files';
const absentCache = () => (typeof caches === 'undefined' ? Promise.resolve(null) : caches.open(ABSENT).catch(() => null));

async function knownAbsent(url: string): Promise<boolean> {
  return !!(await (await absentCache())?.match(url));
}

async function markAbsent(url: string): Promise<void> {
  await (await absentCache())?.put(url, new Response('absent')).catch(() => undefined);
}

/** Reads one (small) file of a source whole; null when an optional file is absent. */
export async function readSourceFile(
  source: FileSource,
  file: string,
  optional: boolean,
  onBytes?: OnBytes,
  signal?: AbortSignal,
): Promise<ArrayBuffer | null> {
  return (await openSourceFile(source, file, optional, onBytes, signal))?.arrayBuffer() ?? null;
}
