// One GPU context per test file. requestGpu() throws WebGPUUnavailable when no adapter is found,
// so every GPU test fails (never skips) on a machine without WebGPU.
import { checkAlive, requestGpu, type GpuContext } from '../../src/gpu/device';
import { Gpu, type AdapterClass } from '../../src/gpu/gpu';
import { uploadBuffer, uploadTensor, createBuffer, readF32, type GpuTensor } from '../../src/gpu/buffers';
import { roundToHalf, type WeightDtype } from '../../src/gpu/f16';

let ctx: Promise<GpuContext> | null = null;
const gpus = new Map<string, Promise<Gpu>>();

/**
 * The file's GPU handle. `adapterClass` picks the kernels' launch shapes: the adapter's own by
 * default; 'gpu' runs the real-GPU variants (split-K, tiled, cooperative) on SwiftShader too, on
 * the same device, so every variant is checked here. `subgroups` forces the row reductions'
 * subgroup variant on or off (SwiftShader has subgroups, of 4).
 */
export function getGpu(adapterClass?: AdapterClass, subgroups?: boolean): Promise<Gpu> {
  ctx ??= requestGpu();
  const key = `${adapterClass ?? 'adapter'}|${subgroups ?? 'default'}`;
  let g = gpus.get(key);
  if (!g) {
    g = ctx.then((c) => new Gpu(c, { adapterClass, subgroups }));
    gpus.set(key, g);
  }
  return g;
}

/** Both adapter classes, for tests that run every kernel variant. */
export const ADAPTER_CLASSES: AdapterClass[] = ['cpu', 'gpu'];

/** Every (adapter class, subgroups) pair, for the row-reduction kernels. */
export const REDUCE_VARIANTS: Array<[AdapterClass, boolean]> = [['cpu', false], ['cpu', true], ['gpu', false], ['gpu', true]];

export function upload(g: Gpu, data: Float32Array | Uint32Array, label = 'input'): GPUBuffer {
  return uploadBuffer(g.device, label, data);
}

/** A weight (K, N) stored as dtype in one part, and the f32 values a reference should use (f16 rounds them). */
export function uploadWeight(g: Gpu, data: Float32Array, K: number, N: number, dtype: WeightDtype = 'f32'): { t: GpuTensor; ref: Float32Array } {
  return { t: uploadTensor(g.device, `weight (${dtype})`, [K, N], data, Infinity, dtype), ref: dtype === 'f16' ? roundToHalf(data) : data };
}

export function empty(g: Gpu, elems: number, label = 'output'): GPUBuffer {
  return createBuffer(g.device, label, elems * 4);
}

/** Reads a result back; fails the test if WebGPU reported any error (an invalid shader, say). */
export async function read(g: Gpu, buf: GPUBuffer, elems?: number): Promise<Float32Array> {
  const out = await readF32(g.device, buf, elems);
  checkAlive(g.ctx);
  return out;
}
