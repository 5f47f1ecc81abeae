// Full activations of chosen features at every token of the last forward chunk, read from the
// SAE's (T, S) activations on the GPU: only (T, n) floats come back.
import { readBuffer } from '../gpu/buffers';
import type { Gpu } from '../gpu/gpu';
import { saeGather } from '../kernels/sae_gather';
import type { SaeActs } from './sae';

/** (T, n): f[t, features[j]] for the T tokens the last forward chunk ran. */
export async function gatherFeatures(gpu: Gpu, acts: SaeActs, S: number, T: number, features: number[]): Promise<Float32Array> {
  if (features.length === 0) return new Float32Array(0);
  const { device } = gpu;
  const ids = device.createBuffer({ label: 'gather ids (n)', size: features.length * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(ids, 0, Uint32Array.from(features));
  const out = device.createBuffer({ label: 'gathered (T, n)', size: T * features.length * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const step = saeGather(gpu, { f: acts.f, ids, out, T, S, n: features.length });
  try {
    gpu.run([step], 'gather features');
    return new Float32Array(await readBuffer(device, out));
  } finally {
    gpu.release([step]);
    ids.destroy();
    out.destroy();
  }
}
