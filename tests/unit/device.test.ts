// No WebGPU, no adapter, a lost device and uncaptured errors, with fake navigator.gpu objects
// (the real adapter path is covered by tests/gpu).
import { describe, expect, it } from 'vitest';
import { checkAlive, requestGpu } from '../../src/gpu/device';
import { GpuDeviceLost, GpuOutOfMemory, GpuValidationError, WebGPUUnavailable } from '../../src/errors';

function fakeGpu(opts: { adapter?: boolean; lost?: Promise<{ reason: string; message: string }> } = {}) {
  const listeners: Array<(ev: unknown) => void> = [];
  const device = {
    features: new Set<string>(),
    limits: { maxStorageBufferBindingSize: 1 << 30, maxBufferSize: 1 << 30 },
    lost: opts.lost ?? new Promise(() => {}),
    addEventListener: (_: string, fn: (ev: unknown) => void) => listeners.push(fn),
  };
  const adapter = {
    features: new Set<string>(),
    limits: {},
    info: { vendor: 'fake', architecture: 'test' },
    requestDevice: async () => device,
  };
  const gpu = { requestAdapter: async () => (opts.adapter === false ? null : adapter) } as unknown as GPU;
  return { gpu, fire: (ev: unknown) => listeners.forEach((l) => l(ev)) };
}

describe('GPU device', () => {
  it('no navigator.gpu is WebGPUUnavailable with what to do', async () => {
    const err = await requestGpu(undefined).catch((e) => e);
    expect(err).toBeInstanceOf(WebGPUUnavailable);
    expect(err.name).toBe('WebGPUUnavailable');
    expect(err.message).toMatch(/navigator\.gpu is missing.*Chrome or Edge 113\+/);
  });

  it('no adapter is WebGPUUnavailable', async () => {
    const err = await requestGpu(fakeGpu({ adapter: false }).gpu).catch((e) => e);
    expect(err).toBeInstanceOf(WebGPUUnavailable);
    expect(err.message).toMatch(/no GPU adapter was found/);
  });

  it('a lost device becomes a GpuDeviceLost that every later call rethrows', async () => {
    let lose!: (v: { reason: string; message: string }) => void;
    const { gpu } = fakeGpu({ lost: new Promise((r) => (lose = r)) });
    const ctx = await requestGpu(gpu);
    const seen: Error[] = [];
    ctx.onFatal = (e) => seen.push(e);
    expect(() => checkAlive(ctx)).not.toThrow();
    lose({ reason: 'unknown', message: 'GPU process crashed' });
    await Promise.resolve();
    await Promise.resolve();
    expect(() => checkAlive(ctx)).toThrow(GpuDeviceLost);
    expect(() => checkAlive(ctx)).toThrow('The GPU device was lost (GPU process crashed).');
    expect(seen[0]).toBeInstanceOf(GpuDeviceLost);
  });

  it('an uncaptured validation error is surfaced as GpuValidationError', async () => {
    const { gpu, fire } = fakeGpu();
    const ctx = await requestGpu(gpu);
    fire({ error: { message: 'binding size too small' } });
    expect(() => checkAlive(ctx)).toThrow(GpuValidationError);
  });

  it('an uncaptured out-of-memory error is surfaced as GpuOutOfMemory', async () => {
    const { gpu, fire } = fakeGpu();
    const ctx = await requestGpu(gpu);
    class GPUOutOfMemoryError {
      message = 'allocation of 600 MB failed';
    }
    fire({ error: new GPUOutOfMemoryError() });
    expect(() => checkAlive(ctx)).toThrow(GpuOutOfMemory);
    expect(() => checkAlive(ctx)).toThrow(/600 MB.*f16.*smaller model/);
  });
});
