import { describe, expect, it } from 'vitest';
import { getGpu } from './gpu';

describe('WebGPU adapter', () => {
  it('exists, and is printed so the run says what it ran on', async () => {
    const gpu = await getGpu(); // throws WebGPUUnavailable (a failure, not a skip) without one
    const { adapter, features, maxBinding, maxBufferSize } = gpu.ctx;
    console.log(
      `[glassbox] WebGPU adapter: vendor=${adapter.vendor} architecture=${adapter.architecture} ` +
        `device=${adapter.device || '-'} description=${adapter.description || '-'} fallback=${adapter.isFallbackAdapter} ` +
        `features: shader-f16=${features.shaderF16} subgroups=${features.subgroups} timestamp-query=${features.timestampQuery} ` +
        `maxStorageBufferBindingSize=${maxBinding} maxBufferSize=${maxBufferSize}`,
    );
    expect(maxBinding).toBeGreaterThanOrEqual(128 * 1024 * 1024);
  });
});
