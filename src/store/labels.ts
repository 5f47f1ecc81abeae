// Feature labels from Neuronpedia explanation exports, and their cache. Accepted: the API's JSON
// array of {index, description} (index may be a string), {explanations: [...]}, JSON lines (the
// S3 dataset batches), each optionally gzipped. Parsed labels are cached per SAE in Cache
// Storage, so a reload (or an offline visit) brings them back.
import { gunzipSync } from 'fflate';
import { ModelFileError } from '../errors';

export type Labels = Map<number, string>;

const CACHE = 'glassbox-labels-v1';
const cacheUrl = (saeKey: string) => `/__labels/${encodeURIComponent(saeKey)}`;

/** Deflate's largest expansion: about 1032 bytes out per compressed byte. */
const MAX_INFLATE_RATIO = 1032;

/**
 * The gzip's content. fflate's gunzipSync allocates the size the last 4 bytes claim (up to 4 GiB
 * from a 20-byte file) and silently cuts a longer stream to it, so the claim is checked against
 * what deflate can give first, and the output against the claim after (one spare byte shows a
 * stream that runs long).
 */
export function gunzip(data: Uint8Array, file: string): Uint8Array {
  const fail = (why: string): never => {
    throw new ModelFileError(file, `is gzipped but does not decompress (${why}). Download it again.`);
  };
  if (data.length < 18) fail('it is shorter than a gzip header and trailer');
  const size = new DataView(data.buffer, data.byteOffset + data.length - 4, 4).getUint32(0, true);
  if (size > MAX_INFLATE_RATIO * data.length + 1024) fail(`its trailer claims ${size} bytes, more than ${data.length} compressed bytes can hold`);
  let out: Uint8Array;
  try {
    out = gunzipSync(data, { out: new Uint8Array(size + 1) });
  } catch (e) {
    return fail((e as Error).message);
  }
  if (out.length !== size) fail(`it inflates to ${out.length > size ? `more than ${size}` : out.length} bytes, not the ${size} its trailer says`);
  return out;
}

export function parseLabelExport(bytes: Uint8Array, file: string): Labels {
  const data = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzip(bytes, file) : bytes;
  const text = new TextDecoder().decode(data).trim();
  let rows: unknown[];
  try {
    const json = JSON.parse(text);
    // an array, a wrapper object, or a single explanation (a one-line JSON-lines file)
    rows = Array.isArray(json) ? json : (json?.explanations ?? json?.features ?? (json?.index !== undefined ? [json] : undefined));
  } catch {
    // JSON lines: one object per line
    try {
      rows = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
    } catch {
      throw new ModelFileError(file, 'is neither JSON nor JSON lines. Export explanations from Neuronpedia (JSON) or use its dataset batches (.jsonl.gz).');
    }
  }
  if (!Array.isArray(rows)) throw new ModelFileError(file, 'has no list of explanations: expected an array of {index, description}.');
  const labels: Labels = new Map();
  for (const r of rows as Array<Record<string, unknown>>) {
    const raw = r?.index ?? r?.featureIndex ?? r?.feature;
    // a number, or a string of digits; Number() of anything else coerces ("" is 0; a nested array's toString overflows the stack)
    const id = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
    const text = r?.description ?? r?.explanation;
    // several explanations of one feature: keep the first
    if (Number.isSafeInteger(id) && id >= 0 && typeof text === 'string' && text.trim() && !labels.has(id)) labels.set(id, text.trim());
  }
  if (!labels.size) throw new ModelFileError(file, 'holds no {index, description} explanations. Is it a Neuronpedia explanations export?');
  return labels;
}

/** Fetches an export from a URL (CORS permitting) and parses it. */
export async function fetchLabelExport(url: string): Promise<Labels> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new ModelFileError(url, `could not be fetched (${(e as Error).message}). Check the address, or download the file and drop it here.`);
  }
  if (!res.ok) throw new ModelFileError(url, `answered HTTP ${res.status}. Check the address.`);
  return parseLabelExport(new Uint8Array(await res.arrayBuffer()), url);
}

/** Caches labels for an SAE; false where there is no Cache Storage (a page not served over https or localhost). */
export async function saveLabels(saeKey: string, labels: Labels): Promise<boolean> {
  if (!globalThis.caches) return false;
  const cache = await caches.open(CACHE);
  await cache.put(cacheUrl(saeKey), new Response(JSON.stringify([...labels]), { headers: { 'Content-Type': 'application/json' } }));
  return true;
}

export async function loadLabels(saeKey: string): Promise<Labels | null> {
  if (!globalThis.caches) return null;
  const res = await (await caches.open(CACHE)).match(cacheUrl(saeKey));
  return res ? new Map(await res.json()) : null;
}
