// A GPUDevice stand-in for node tests that builds plans without a GPU: it allocates no memory
// (buffers have a size and a label, nothing behind them except small mapped uniforms), compiles
// nothing, and records each bind group's buffers so a test can see what a dispatch reads.
// Import this module before any module that reads WebGPU's globals (GPUBufferUsage) at load.
import type { GpuContext } from '../../src/gpu/device';

const g = globalThis as Record<string, unknown>;
g.GPUBufferUsage ??= { MAP_READ: 1, MAP_WRITE: 2, COPY_SRC: 4, COPY_DST: 8, INDEX: 16, VERTEX: 32, UNIFORM: 64, STORAGE: 128, INDIRECT: 256, QUERY_RESOLVE: 512 };
g.GPUMapMode ??= { READ: 1, WRITE: 2 };

export interface RecordedBindGroup {
  label: string;
  buffers: GPUBuffer[];
}

function fakeBuffer(d: GPUBufferDescriptor): GPUBuffer {
  // Only small uploads are filled on the CPU (Params structs, RoPE tables); weights and
  // activations stay storage-less.
  const mapped = d.mappedAtCreation && d.size <= 16 << 20 ? new ArrayBuffer(d.size) : null;
  return {
    label: d.label ?? '', size: d.size, usage: d.usage, mapState: 'unmapped',
    getMappedRange: () => {
      if (!mapped) throw new Error(`recording device: ${d.label} (${d.size} bytes) has no CPU storage`);
      return mapped;
    },
    unmap: () => undefined,
    destroy: () => undefined,
  } as unknown as GPUBuffer;
}

/** A GPU-class context on the recording device, with an H200's binding limits (2 GiB). */
export function recordingContext(maxBinding = 2 ** 31 - 4): GpuContext {
  const device = {
    label: 'recording',
    features: new Set<string>(),
    createBuffer: fakeBuffer,
    createShaderModule: (d: GPUShaderModuleDescriptor) => ({ label: d.label }),
    createComputePipeline: (d: GPUComputePipelineDescriptor) => ({ label: d.label, getBindGroupLayout: () => ({}) }),
    createBindGroup: (d: GPUBindGroupDescriptor): RecordedBindGroup => ({
      label: d.label ?? '',
      buffers: [...d.entries].map((e) => (e.resource as GPUBufferBinding).buffer),
    }),
    queue: { writeBuffer: () => undefined },
  } as unknown as GPUDevice;
  return {
    device,
    adapter: { vendor: 'recording', architecture: '', device: '', description: 'plan recorder', isFallbackAdapter: false },
    features: { shaderF16: true, subgroups: true, subgroupId: true, timestampQuery: false },
    maxBinding,
    maxBufferSize: maxBinding,
    fatal: null,
    onFatal: null,
  };
}

/** A storage-less buffer of `bytes`, for weight tensors. */
export const emptyBuffer = (label: string, bytes: number): GPUBuffer => fakeBuffer({ label, size: bytes, usage: 128 });
