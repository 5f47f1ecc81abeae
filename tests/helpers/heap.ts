// The page's JS heap, measured over the Chrome DevTools Protocol (Vitest's cdp(), chromium only):
// the page cannot call gc() (vite.config.ts gives no --js-flags=--expose-gc), and
// performance.memory without --enable-precise-memory-info is bucketed and cached for minutes.
import { cdp } from 'vitest/browser';

interface Session {
  send(method: string, params?: object): Promise<unknown>;
  on(event: string, listener: (p: { chunk: string }) => void): void;
  off(event: string, listener: (p: { chunk: string }) => void): void;
}
const session = () => cdp() as unknown as Session;

export interface HeapUsage {
  /** V8 heap in use (objects, and compiled code), bytes. */
  usedSize: number;
  totalSize: number;
  embedderHeapUsedSize?: number;
  /** ArrayBuffer backing stores. */
  backingStorageSize?: number;
}

/** Heap use after two full GCs (a short pause between lets finalizers and GPU callbacks run). */
export async function heapUsage(): Promise<HeapUsage> {
  const s = session();
  await s.send('HeapProfiler.collectGarbage');
  await new Promise((r) => setTimeout(r, 100));
  await s.send('HeapProfiler.collectGarbage');
  return (await s.send('Runtime.getHeapUsage')) as HeapUsage;
}

/**
 * A heap snapshot's self sizes, summed: all of it, and the compiled code (bytecode, JIT code, type
 * feedback) that V8 keeps adding as functions get hot; what remains is JS objects, where a leak
 * would show. Seconds of work, for a long run's two end points.
 */
export async function heapSnapshotSizes(): Promise<{ total: number; code: number; objects: number }> {
  const s = session();
  const chunks: string[] = [];
  const onChunk = (p: { chunk: string }) => void chunks.push(p.chunk);
  s.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
  try {
    await s.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false, captureNumericValue: false });
  } finally {
    s.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
  }
  const snap = JSON.parse(chunks.join('')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[] };
  const { node_fields: fields, node_types: [types] } = snap.snapshot.meta;
  const stride = fields.length;
  const typeAt = fields.indexOf('type');
  const sizeAt = fields.indexOf('self_size');
  const code = types.indexOf('code');
  let total = 0;
  let codeBytes = 0;
  for (let i = 0; i < snap.nodes.length; i += stride) {
    const size = snap.nodes[i + sizeAt];
    total += size;
    if (snap.nodes[i + typeAt] === code) codeBytes += size;
  }
  return { total, code: codeBytes, objects: total - codeBytes };
}
