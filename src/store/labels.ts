// Feature labels from Neuronpedia explanation exports, and their cache. Accepted: the API's JSON
// array of {index, description} (index may be a string), {explanations: [...]}, JSON lines (the
// S3 dataset batches), each optionally gzipped. Parsed labels are cached per SAE in Cache
// Storage, so a reload (or an offline visit) brings them back.
import { gunzipSync } from 'fflate';
import { ModelFileError } from '../errors';

export type Labels = Map<number, string>;

const CACHE = 'glassbox-labels-v1';
const cacheUrl = (saeKey: string) => `/__labels/${encodeURIComponent(saeKey)}`;

export function parseLabelExport(bytes: Uint8Array, file: string): Labels {
  let data = bytes;
  if (data[0] === 0x1f && data[1] === 0x8b) {
    try {
      data = gunzipSync(data);
    } catch (e) {
      throw new ModelFileError(file, `is gzipped but does not decompress (${(e as Error).message}). Download it again.`);
    }
  }
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
    const id = Number(r?.index ?? r?.featureIndex ?? r?.feature);
    const text = r?.description ?? r?.explanation;
    // several explanations of one feature: keep the first
    if (Number.isInteger(id) && id >= 0 && typeof text === 'string' && text.trim() && !labels.has(id)) labels.set(id, text.trim());
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
