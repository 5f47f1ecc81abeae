// Counts the GPU buffer bytes an engine holds, on a real device: createBuffer adds a buffer's size,
// its first destroy() takes it away (a second destroy() changes nothing, as in WebGPU). Staging
// buffers (mappedAtCreation uploads, readback copies) count while they live, like any other.
// Every live buffer is kept with its label, so a leak names the buffers that stayed.
import { requestGpu, type AdapterDescription, type GpuContext } from '../../src/gpu/device';
import type { AdapterClass } from '../../src/gpu/gpu';

export interface LiveBuffer {
  label: string;
  size: number;
  /** Creation order on this device: 0 for the first buffer. */
  seq: number;
}

export interface BufferTracker {
  /** Bytes of buffers created and not yet destroyed. */
  readonly liveBytes: number;
  readonly liveCount: number;
  readonly peakBytes: number;
  /** Buffers created so far (the next one's seq). */
  readonly created: number;
  readonly destroyed: number;
  /** The live buffers now, oldest first. */
  live(): LiveBuffer[];
}

/** Wraps `device.createBuffer` (and each buffer's destroy) on the device object itself. */
export function trackDevice(device: GPUDevice): BufferTracker {
  const live = new Map<GPUBuffer, LiveBuffer>();
  const t = { liveBytes: 0, peakBytes: 0, created: 0, destroyed: 0 };
  const createBuffer = device.createBuffer.bind(device);
  device.createBuffer = (desc: GPUBufferDescriptor): GPUBuffer => {
    const buffer = createBuffer(desc);
    const entry = { label: buffer.label, size: buffer.size, seq: t.created++ };
    live.set(buffer, entry);
    t.liveBytes += entry.size;
    t.peakBytes = Math.max(t.peakBytes, t.liveBytes);
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      if (live.delete(buffer)) {
        t.destroyed++;
        t.liveBytes -= entry.size;
      }
      destroy();
    };
    return buffer;
  };
  return {
    get liveBytes() { return t.liveBytes; },
    get liveCount() { return live.size; },
    get peakBytes() { return t.peakBytes; },
    get created() { return t.created; },
    get destroyed() { return t.destroyed; },
    live: () => [...live.values()].map((b) => ({ ...b })),
  };
}

/**
 * A GpuContext factory for `new Engine(factory)` whose devices are tracked (the latest device's
 * tracker is `tracker()`). `adapterClass` overrides what the adapter reports, so a CPU adapter
 * (SwiftShader) can run the real-GPU launch shapes (split-K matvec and attention) the engine
 * picks from `isFallbackAdapter`.
 */
export function trackingGpu(adapterClass?: AdapterClass): {
  factory: () => Promise<GpuContext>;
  tracker: () => BufferTracker;
  /** The adapter as the browser described it, before the override. */
  adapter: () => AdapterDescription | null;
} {
  let current: BufferTracker | null = null;
  let adapter: AdapterDescription | null = null;
  const factory = async () => {
    const ctx = await requestGpu();
    current = trackDevice(ctx.device);
    adapter = ctx.adapter;
    if (adapterClass) ctx.adapter = { ...ctx.adapter, isFallbackAdapter: adapterClass === 'cpu' };
    return ctx;
  };
  return {
    factory,
    tracker: () => {
      if (!current) throw new Error('trackingGpu: no device was requested yet');
      return current;
    },
    adapter: () => adapter,
  };
}

/**
 * The buffers in `now` and not in `before`, and those gone, matched by (label, size): what a leak
 * (or a free too many) consists of.
 */
export function bufferDiff(before: LiveBuffer[], now: LiveBuffer[]): { extra: LiveBuffer[]; missing: LiveBuffer[] } {
  const key = (b: LiveBuffer) => `${b.label}\u0000${b.size}`;
  const count = new Map<string, number>();
  for (const b of before) count.set(key(b), (count.get(key(b)) ?? 0) + 1);
  const extra: LiveBuffer[] = [];
  for (const b of now) {
    const n = count.get(key(b)) ?? 0;
    if (n > 0) count.set(key(b), n - 1);
    else extra.push(b);
  }
  const missing: LiveBuffer[] = [];
  for (const b of before) {
    const n = count.get(key(b)) ?? 0;
    if (n > 0) {
      missing.push(b);
      count.set(key(b), n - 1);
    }
  }
  return { extra, missing };
}

/** "label (bytes) x n, ..." for a failure message. */
export function describeBuffers(bs: LiveBuffer[]): string {
  const groups = new Map<string, { b: LiveBuffer; n: number }>();
  for (const b of bs) {
    const k = `${b.label}|${b.size}`;
    const g = groups.get(k);
    if (g) g.n++;
    else groups.set(k, { b, n: 1 });
  }
  return [...groups.values()].map(({ b, n }) => `'${b.label || '(no label)'}' (${b.size} B)${n > 1 ? ` x${n}` : ''}`).join(', ') || 'none';
}
