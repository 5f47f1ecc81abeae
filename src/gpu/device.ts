// Adapter and device: request the limits a model needs, detect optional features, and turn
// device loss and uncaptured errors into typed errors.
import { GpuDeviceLost, GpuOutOfMemory, GpuValidationError, WebGPUUnavailable } from '../errors';
import type { WeightDtype } from './f16';

export interface GpuFeatures {
  shaderF16: boolean;
  subgroups: boolean;
  /** WGSL's `subgroup_id` builtin (a language feature): reductions across subgroups need it. */
  subgroupId: boolean;
  timestampQuery: boolean;
}

/** How to store weights: 'auto' is f16 where the adapter has shader-f16 (a GPU with fast halves), else f32. */
export type WeightChoice = 'auto' | WeightDtype;

export function chooseWeightDtype(choice: WeightChoice, features: GpuFeatures): WeightDtype {
  return choice === 'auto' ? (features.shaderF16 ? 'f16' : 'f32') : choice;
}

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

export interface GpuContext {
  device: GPUDevice;
  adapter: AdapterDescription;
  features: GpuFeatures;
  /** Largest single storage binding, in bytes. Tensors above it are split (see buffers.ts). */
  maxBinding: number;
  maxBufferSize: number;
  /** The first fatal error (lost device, out of memory); every later call rethrows it. */
  fatal: Error | null;
  onFatal: ((err: Error) => void) | null;
  /** Set by disposeDevice(): its own destroy() is not a loss. */
  disposed?: boolean;
}

const NO_WEBGPU_HELP =
  'Use Chrome or Edge 113+ on desktop (or Chrome 121+ on Android), or Safari 26+. ' +
  'On Linux, start Chrome with --enable-unsafe-webgpu (and --enable-features=Vulkan); ' +
  'in Firefox, WebGPU ships from version 141 on Windows, behind dom.webgpu.enabled elsewhere.';

export function describeAdapter(adapter: GPUAdapter): AdapterDescription {
  const info = adapter.info;
  return {
    vendor: info?.vendor || 'unknown',
    architecture: info?.architecture || 'unknown',
    device: info?.device || '',
    description: info?.description || '',
    // Newer Chrome exposes this on info; older on the adapter itself.
    isFallbackAdapter: Boolean(
      (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ??
        (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter,
    ),
  };
}

export async function requestGpu(
  gpu: GPU | undefined = (globalThis.navigator as Navigator | undefined)?.gpu,
): Promise<GpuContext> {
  if (!gpu) {
    throw new WebGPUUnavailable(`This browser does not expose WebGPU (navigator.gpu is missing). ${NO_WEBGPU_HELP}`);
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new WebGPUUnavailable(
      `WebGPU is present but no GPU adapter was found (it may be blocklisted or disabled). ${NO_WEBGPU_HELP}`,
    );
  }
  const want: GPUFeatureName[] = ['shader-f16', 'subgroups', 'timestamp-query'];
  const requiredFeatures = want.filter((f) => adapter.features.has(f));
  const a = adapter.limits;
  // Ask for everything the adapter allows on the axes a transformer stresses: defaults are
  // 128 MiB per binding and 256 MiB per buffer, below GPT-2's fp32 wte (154 MB).
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: a.maxStorageBufferBindingSize,
    maxBufferSize: a.maxBufferSize,
    maxStorageBuffersPerShaderStage: a.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupStorageSize: a.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: a.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: a.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: a.maxComputeWorkgroupSizeY,
  };
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ label: 'glassbox', requiredFeatures, requiredLimits });
  } catch (e) {
    throw new WebGPUUnavailable(`The GPU adapter refused to create a device: ${(e as Error).message}. ${NO_WEBGPU_HELP}`);
  }
  const ctx: GpuContext = {
    device,
    adapter: describeAdapter(adapter),
    features: {
      shaderF16: device.features.has('shader-f16'),
      subgroups: device.features.has('subgroups'),
      subgroupId: Boolean(gpu.wgslLanguageFeatures?.has('subgroup_id')),
      timestampQuery: device.features.has('timestamp-query'),
    },
    maxBinding: device.limits.maxStorageBufferBindingSize,
    maxBufferSize: device.limits.maxBufferSize,
    fatal: null,
    onFatal: null,
  };
  const fail = (err: Error) => {
    if (!ctx.fatal) ctx.fatal = err;
    ctx.onFatal?.(err);
  };
  void device.lost.then((info) => {
    if (ctx.disposed) return;
    fail(new GpuDeviceLost(`The GPU device was lost (${(info.message || info.reason).replace(/\.$/, "")}).`));
  });
  device.addEventListener('uncapturederror', (ev) => {
    const error = (ev as GPUUncapturedErrorEvent).error;
    if (error?.constructor?.name === 'GPUOutOfMemoryError') {
      fail(new GpuOutOfMemory(`The GPU ran out of memory: ${error.message}. Close other GPU-heavy tabs, store weights as f16 (Models… → Weights on the GPU: half the memory), or pick a smaller model.`));
    } else {
      fail(new GpuValidationError(`WebGPU error: ${error.message}`));
    }
  });
  return ctx;
}

/** Destroys the device on purpose (not a loss). */
export function disposeDevice(ctx: GpuContext): void {
  ctx.disposed = true;
  ctx.device.destroy();
}

/**
 * After a call failed: the device's loss as a GpuDeviceLost when the device was lost (a failed
 * readback often reports first, so wait briefly for the lost promise), else null.
 */
export async function lostError(ctx: GpuContext): Promise<Error | null> {
  const lost = await Promise.race([ctx.device.lost.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 50))]);
  return lost && !ctx.disposed ? ctx.fatal : null;
}

/** Rethrows the context's fatal error, if any. Call at every engine entry point. */
export function checkAlive(ctx: GpuContext): void {
  if (ctx.fatal) throw ctx.fatal;
}

/**
 * Runs `fn` inside out-of-memory and validation error scopes, and throws a typed error when one
 * fires. Use around allocations and pipeline creation, where failure is the user's to act on.
 */
export async function withErrorScopes<T>(ctx: GpuContext, what: string, fn: () => T | Promise<T>): Promise<T> {
  const { device } = ctx;
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const pop = async () => [await device.popErrorScope(), await device.popErrorScope()] as const;
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    await pop();
    throw e;
  }
  const [validation, oom] = await pop();
  if (oom) throw new GpuOutOfMemory(`Out of GPU memory while ${what}: ${oom.message}. Close other GPU-heavy tabs, store weights as f16 (Models… → Weights on the GPU: half the memory), or pick a smaller model.`);
  if (validation) throw new GpuValidationError(`WebGPU rejected ${what}: ${validation.message}`);
  return result;
}
