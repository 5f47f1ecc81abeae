// The handle every kernel wrapper takes: device, pipeline cache, uniform helpers, and a runner
// that encodes a list of steps (dispatches and copies) into one command buffer.
import type { GpuContext } from './device';
import { PipelineCache, workgroupSize, type Constants } from './pipelines';

/** A float field in a uniform Params struct; bare numbers are u32. */
export interface F32 {
  f32: number;
}
export const f32 = (v: number): F32 => ({ f32: v });

export interface Dispatch {
  kind: 'dispatch';
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  grid: [number, number, number];
  /** Invocations per workgroup (the shader's @workgroup_size with its override constants). */
  threads: number;
  /** Uniform buffers created for this dispatch alone, freed with it (see release()). */
  owned: GPUBuffer[];
  /** The split-K scratch it binds, if any: counted until release() (see Gpu.partials()). */
  scratch?: GPUBuffer;
}

export interface Copy {
  kind: 'copy';
  label: string;
  src: GPUBuffer;
  srcOffset: number;
  dst: GPUBuffer;
  dstOffset: number;
  bytes: number;
}

export type Step = Dispatch | Copy;

export const MAX_GRID = 65535;

/**
 * What kind of adapter the launch shapes are tuned for. 'cpu': a fallback adapter (SwiftShader),
 * where few threads each walking a long contiguous run use the caches best and every barrier
 * is costly. 'gpu': a real GPU, which needs tens of thousands of threads in flight on every
 * weight-streaming dispatch to reach its memory bandwidth (split-K matvec, cooperative LM
 * head, tiled prefill matmul). Tests run both on SwiftShader by constructing a Gpu of each class.
 */
export type AdapterClass = 'cpu' | 'gpu';

/** Threads a weight-streaming dispatch must launch to cover a large GPU (H200: 132 SMs). */
export const GPU_MIN_THREADS = 32768;

export class Gpu {
  readonly device: GPUDevice;
  readonly pipelines: PipelineCache;
  /** Uniform `Step { pos0 }` shared by position-dependent kernels, rewritten before each run. */
  readonly step: GPUBuffer;
  /**
   * Threads per workgroup for the per-row reductions (attention, layernorm). On a CPU adapter
   * (SwiftShader, subgroups of 4) every barrier switches all SIMD groups of a workgroup, so one
   * group of 4 is 2.6x faster there (attention, T=128, GPT-2 small); GPUs want 64.
   */
  readonly rowThreads: number;
  readonly adapterClass: AdapterClass;
  /** Scratch for split-K partial sums, shared by every dispatch (they run in order). */
  private partialsBuf: GPUBuffer | null = null;
  /** Unreleased dispatches binding each scratch buffer, this one and outgrown ones. */
  private readonly scratchUsers = new Map<GPUBuffer, number>();

  /**
   * Row reductions (layernorm, attention, sae_norm) use subgroup operations (the ":sg" shader
   * variants). By default only on GPUs whose device has `subgroups` and WGSL's `subgroup_id`:
   * SwiftShader's 4-thread rows gain nothing from them, and its tuning stays as measured.
   */
  readonly subgroups: boolean;

  constructor(readonly ctx: GpuContext, opts: { adapterClass?: AdapterClass; subgroups?: boolean } = {}) {
    this.device = ctx.device;
    this.pipelines = new PipelineCache(ctx.device);
    this.adapterClass = opts.adapterClass ?? (ctx.adapter.isFallbackAdapter ? 'cpu' : 'gpu');
    this.rowThreads = this.adapterClass === 'cpu' ? 4 : 64;
    const canSubgroup = ctx.features.subgroups && ctx.features.subgroupId;
    if (opts.subgroups && !canSubgroup) throw new Error('This device has no subgroups (or WGSL subgroup_id)');
    this.subgroups = opts.subgroups ?? (canSubgroup && this.adapterClass === 'gpu');
    this.step = ctx.device.createBuffer({
      label: 'step',
      size: 16,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
  }

  /** The op name of a shader that reduces rows with common/reduce.wgsl, in this Gpu's variant. */
  reduceOp(op: string): string {
    return this.subgroups ? `${op}:sg` : op;
  }

  /**
   * A buffer of at least `bytes` for split-K partial sums. Dispatches of one submission run in
   * order, so all may share it; a larger request makes a new one and leaves the old one to the
   * plans that already bind it. Each is destroyed when the last dispatch binding it is released
   * (a model's plans when it is unloaded), so switching models leaves no scratch behind.
   */
  partials(bytes: number): GPUBuffer {
    if (!this.partialsBuf || this.partialsBuf.size < bytes) {
      const old = this.partialsBuf;
      this.partialsBuf = this.device.createBuffer({ label: 'split-K partials', size: Math.max(16, Math.ceil(bytes / 16) * 16), usage: GPUBufferUsage.STORAGE });
      this.scratchUsers.set(this.partialsBuf, 0);
      if (old && !this.scratchUsers.get(old)) this.dropScratch(old);
    }
    return this.partialsBuf;
  }

  private dropScratch(buf: GPUBuffer): void {
    this.scratchUsers.delete(buf);
    if (buf === this.partialsBuf) this.partialsBuf = null;
    buf.destroy();
  }

  /** A uniform buffer holding a Params struct of 4-byte fields, padded to 16 bytes. */
  params(label: string, fields: Array<number | F32>): GPUBuffer {
    const size = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
    const buf = this.device.createBuffer({ label: `${label}.params`, size, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
    const view = new DataView(buf.getMappedRange());
    fields.forEach((f, i) => {
      if (typeof f === 'number') {
        if (!Number.isInteger(f) || f < 0 || f > 0xffffffff) throw new Error(`${label}: u32 param ${i} = ${f}`);
        view.setUint32(i * 4, f, true);
      } else view.setFloat32(i * 4, f.f32, true);
    });
    buf.unmap();
    return buf;
  }

  /** Binds `resources` to bindings 0..n-1 of group 0, in order. */
  dispatch(
    op: string,
    label: string,
    resources: GPUBuffer[],
    grid: [number, number?, number?],
    constants: Constants = {},
  ): Dispatch {
    const pipeline = this.pipelines.get(op, constants);
    const g: [number, number, number] = [grid[0], grid[1] ?? 1, grid[2] ?? 1];
    if (g.some((n) => n > MAX_GRID)) throw new Error(`${label}: grid ${g} exceeds ${MAX_GRID}`);
    const bindGroup = this.device.createBindGroup({
      label,
      layout: pipeline.getBindGroupLayout(0),
      entries: resources.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const owned = resources.filter((b) => b !== this.step && b.usage & GPUBufferUsage.UNIFORM);
    const threads = workgroupSize(op, constants).reduce((a, b) => a * b, 1);
    const scratch = resources.find((b) => this.scratchUsers.has(b));
    if (scratch) this.scratchUsers.set(scratch, this.scratchUsers.get(scratch)! + 1);
    return { kind: 'dispatch', label, pipeline, bindGroup, grid: g, threads, owned, ...(scratch ? { scratch } : {}) };
  }

  copy(label: string, src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset = 0, dstOffset = 0): Copy {
    return { kind: 'copy', label, src, srcOffset, dst, dstOffset, bytes };
  }

  writeStep(pos0: number): void {
    this.device.queue.writeBuffer(this.step, 0, new Uint32Array([pos0, 0, 0, 0]));
  }

  /** Encodes the steps into one command buffer: dispatches share compute passes, copies split them. */
  encode(enc: GPUCommandEncoder, steps: Step[]): void {
    let pass: GPUComputePassEncoder | null = null;
    for (const s of steps) {
      if (s.kind === 'dispatch') {
        pass ??= enc.beginComputePass({ label: s.label });
        pass.setPipeline(s.pipeline);
        pass.setBindGroup(0, s.bindGroup);
        pass.dispatchWorkgroups(...s.grid);
      } else {
        pass?.end();
        pass = null;
        enc.copyBufferToBuffer(s.src, s.srcOffset, s.dst, s.dstOffset, s.bytes);
      }
    }
    pass?.end();
  }

  /** Frees the per-dispatch uniforms of a plan that will not run again, and scratch no other dispatch binds. */
  release(steps: Step[]): void {
    for (const s of steps) {
      if (s.kind !== 'dispatch') continue;
      for (const b of s.owned) b.destroy();
      const scratch = s.scratch;
      if (!scratch) continue;
      s.scratch = undefined; // released twice counts once
      const users = (this.scratchUsers.get(scratch) ?? 1) - 1;
      if (users > 0) this.scratchUsers.set(scratch, users);
      else if (this.scratchUsers.has(scratch)) this.dropScratch(scratch);
    }
  }

  run(steps: Step[], label = 'run'): void {
    const enc = this.device.createCommandEncoder({ label });
    this.encode(enc, steps);
    this.device.queue.submit([enc.finish()]);
  }
}

/** A 2D grid of 256-thread workgroups covering n elements; `row` is threads per grid row. */
export function grid1d(n: number): { grid: [number, number]; row: number } {
  const groups = Math.max(1, Math.ceil(n / 256));
  const x = Math.min(groups, MAX_GRID);
  return { grid: [x, Math.ceil(groups / x)], row: x * 256 };
}
