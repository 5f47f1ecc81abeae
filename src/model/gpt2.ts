// The whole GPT-2 forward on the GPU, readable top to bottom. One call appends T tokens to a KV
// cache at position `cache.length` (prefill: T = prompt, decode: T = 1):
//   x = wte[ids] + wpe[pos]                                       [blocks.L.hook_resid_pre]
//   x += attn(ln_1(x))   (qkv -> kv cache -> attention -> c_proj) [hook_resid_mid]
//   x += mlp(ln_2(x))    (c_fc -> gelu -> c_proj)                 [hook_resid_post]
//   at the SAE's hook: encode -> top-k per token -> error -> steering edit, then continue
//   logits = ln_f(x) @ wte^T, only at the rows asked for
// Plans (the dispatch lists) are built once per (T, options) and cached.
import { createBuffer, readBuffer, uploadTensor, whole, type GpuTensor } from '../gpu/buffers';
import type { WeightDtype } from '../gpu/f16';
import type { Gpu, Step } from '../gpu/gpu';
import { weightOp } from '../gpu/pipelines';
import { attention, attentionWarmList, gpt2Heads } from '../kernels/attention';
import { embed } from '../kernels/embed';
import { gpt2Qkv, kvAppend } from '../kernels/kv_append';
import { layernorm } from '../kernels/layernorm';
import { logits as logitsOp, logitsLaunch } from '../kernels/logits';
import { matmul, matmulPipeline, type Epilogue } from '../kernels/matmul';
import { matvec, matvecPipelines } from '../kernels/matvec';
import { parseSample, type SampledToken } from '../kernels/sample';
import { packSteering, MAX_STEERING, type SteeringEntry } from '../kernels/steer';
import type { Sae, SaeActs } from '../sae/sae';
import { expectedShapes, type Gpt2Config } from './config';
import type { GpuSampler } from './gpu_sampler';
import { parseHook, type HookName } from './hooks';
import { KvCache } from './kv_cache';
import { concatResults } from './results';
import { storedDtype, type Weights } from './weights';

export interface ForwardOptions {
  /** Residual hooks to return for every token of this call, by TransformerLens name. */
  hooks?: string[];
  /** Which rows get logits: the last token only (generation), every token, or none. */
  logits?: 'last' | 'all' | 'none';
  /** KV cache slot: 0, or 1 for a second stream (steered generation beside the baseline). */
  slot?: 0 | 1;
  /** Apply the steering set by setSteering() at the SAE's hook. */
  steer?: boolean;
  /**
   * Sample the next token on the GPU in the same submission (needs logits 'last'): the result's
   * `sampled` holds it and `logits` is empty, as the row never leaves the GPU.
   */
  sampler?: GpuSampler;
}

export interface SaeOutput {
  /** Per token, the K strongest features: ids (NO_FEATURE pads) and values, (T, K). */
  topIdx: Uint32Array;
  topVal: Float32Array;
  /** Per token (|x - x_hat|, |x|) in the SAE's input space, (T, 2). */
  err: Float32Array;
}

export interface ForwardResult {
  /** (R, V) with R = 1 for 'last', T for 'all', 0 for 'none'. */
  logits: Float32Array;
  hooks: Record<string, Float32Array>; // each (T, C)
  sae: SaeOutput | null;
  /** The token the sampler chose (with its topN candidates when asked), if one was given. */
  sampled?: SampledToken;
}

export interface Plan {
  steps: Step[];
  T: number;
  hooks: string[];
  R: number;
  K: number;
  /** Hook captures, logits, SAE top-k ids, values and errors, then a sample: read back in one copy. */
  out: GPUBuffer;
  /** Byte offset of the sampler's output in `out` (sampleWords u32 when the plan samples). */
  sampleAt: number;
}

interface AttachedSae {
  sae: Sae;
  acts: SaeActs;
  K: number;
}

export class Gpt2 {
  /** Longest chunk one plan runs; forward() splits longer inputs. */
  maxT: number;
  private readonly w: Map<string, GpuTensor>;
  private readonly act: Record<'resid' | 'ln' | 'qkv' | 'att' | 'fc' | 'ids', GPUBuffer>;
  private readonly caches: KvCache[] = [];
  private readonly plans = new Map<string, Plan>();
  private attached: AttachedSae | null = null;
  private readonly steering: GPUBuffer;
  /** (1, V): the last row's logits when a sampler reads them on the GPU. */
  private sampleLogits: GPUBuffer | null = null;

  /**
   * weightDtype: how the matrices (wte, wpe and every Linear's weight) are stored on the GPU;
   * biases and layer norms stay f32. Pass f16 data's f32 values: f16 storage rounds them. A
   * tensor already on the GPU is used as it is (the launch-shape test passes storage-less ones).
   */
  constructor(readonly gpu: Gpu, readonly cfg: Gpt2Config, weights: Weights | Map<string, GpuTensor>, readonly weightDtype: WeightDtype = 'f32') {
    const { device } = gpu;
    const { dModel: C, dMlp } = cfg;
    this.maxT = cfg.nCtx;
    this.w = new Map();
    for (const [name, shape] of expectedShapes(cfg)) {
      const data = weights.get(name)!;
      this.w.set(name, data instanceof Float32Array ? uploadTensor(device, name, shape, data, gpu.ctx.maxBinding, storedDtype(shape, weightDtype)) : data);
    }
    const T = this.maxT;
    this.act = {
      resid: createBuffer(device, 'resid (T, C)', T * C * 4),
      ln: createBuffer(device, 'ln (T, C)', T * C * 4),
      qkv: createBuffer(device, 'qkv (T, 3C)', T * 3 * C * 4),
      att: createBuffer(device, 'att (T, C)', T * C * 4),
      fc: createBuffer(device, 'fc (T, 4C)', T * dMlp * 4),
      ids: createBuffer(device, 'ids (T)', T * 4),
    };
    this.steering = createBuffer(device, 'steering', 16 + 16 * MAX_STEERING);
    this.caches.push(new KvCache(device, cfg.nLayers, cfg.nCtx, C));
  }

  cache(slot: 0 | 1 = 0): KvCache {
    while (this.caches.length <= slot) this.caches.push(new KvCache(this.gpu.device, this.cfg.nLayers, this.cfg.nCtx, this.cfg.dModel));
    return this.caches[slot];
  }

  private wb(name: string): GPUBuffer {
    return whole(this.w.get(name)!);
  }

  /** Runs the SAE inside every later forward, at its hook; K features per token come back. */
  attachSae(sae: Sae | null, K = 32): void {
    this.detachSae();
    if (!sae) return;
    this.maxT = Math.min(this.cfg.nCtx, sae.maxTokens(this.gpu.ctx.maxBinding));
    this.attached = { sae, acts: sae.allocActs(this.maxT, K), K };
  }

  private detachSae(): void {
    this.evictPlans();
    if (this.attached) for (const b of Object.values(this.attached.acts)) b.destroy();
    this.attached = null;
    this.maxT = this.cfg.nCtx;
  }

  get sae(): Sae | null {
    return this.attached?.sae ?? null;
  }

  get saeActs(): SaeActs | null {
    return this.attached?.acts ?? null;
  }

  setSteering(entries: SteeringEntry[]): void {
    this.gpu.device.queue.writeBuffer(this.steering, 0, packSteering(entries));
  }

  /** Pipelines every forward uses, compiled ahead of the first prompt. */
  async warm(): Promise<void> {
    const { gpu, weightDtype: dt } = this;
    const { dModel: C, dMlp } = this.cfg;
    // the linears as [N, K, epilogue]: c_attn, attn.c_proj, c_fc, mlp.c_proj
    const linears = [[3 * C, C, 'none'], [C, C, 'residual'], [dMlp, C, 'gelu'], [C, dMlp, 'residual']] as const;
    await gpu.pipelines.warm([
      [weightOp('embed', dt)], [gpu.reduceOp('layernorm'), { WG: gpu.rowThreads }], ['kv_append'], [weightOp('logits', dt), logitsLaunch(gpu)],
      ...attentionWarmList(gpu, this.cfg.nCtx),
      ...linears.flatMap(([N, K, e]) => [matmulPipeline(gpu, dt, e), ...matvecPipelines(gpu, dt, N, K, e)]),
    ]);
  }

  /**
   * The dispatch list for a T-token call (public for the benchmark's per-op profile). sampleWords
   * > 0: the last row's logits stay on the GPU for a sampler, which run() appends.
   */
  plan(T: number, hooks: string[], mode: 'last' | 'all' | 'none', slot: 0 | 1 = 0, steer = false, sampleWords = 0): Plan {
    if (sampleWords && mode !== 'last') throw new Error(`plan: sampling needs logits 'last', got '${mode}'`);
    const key = `${T}|${hooks.join(',')}|${mode}|${slot}|${steer}|${sampleWords}`;
    let plan = this.plans.get(key);
    if (plan) return plan;
    if (this.plans.size >= 24) this.evictPlans();
    const { gpu, cfg, act } = this;
    const cache = this.cache(slot);
    const { dModel: C, dMlp, nHeads: NH, nCtx, layerNormEps: eps } = cfg;
    const R = mode === 'all' ? T : mode === 'last' ? 1 : 0;
    const K = this.attached?.K ?? 0;
    const hookBytes = T * C * 4;
    const logitsAt = hooks.length * hookBytes;
    const readR = sampleWords ? 0 : R; // logits rows read back
    const saeAt = logitsAt + readR * cfg.vocabSize * 4;
    const sampleAt = saeAt + (this.attached ? T * (2 * K + 2) * 4 : 0);
    const out = createBuffer(gpu.device, `forward out T=${T}`, sampleAt + sampleWords * 4);
    const byHook = new Map(hooks.map((h, i) => [h, i]));
    const steps: Step[] = [];
    const at = (hook: HookName) => {
      const i = byHook.get(hook);
      if (i !== undefined) steps.push(gpu.copy(hook, act.resid, out, hookBytes, 0, i * hookBytes));
      const a = this.attached;
      if (a && a.sae.cfg.hookName === hook) {
        steps.push(...a.sae.steps(act.resid, a.acts, T, K, steer ? this.steering : null));
        steps.push(
          gpu.copy('sae.top_idx', a.acts.topIdx, out, T * K * 4, 0, saeAt),
          gpu.copy('sae.top_val', a.acts.topVal, out, T * K * 4, 0, saeAt + T * K * 4),
          gpu.copy('sae.error', a.acts.err, out, T * 8, 0, saeAt + 2 * T * K * 4),
        );
      }
    };
    // c_fc fuses its GELU and each c_proj its residual add: 8 dispatches a layer, not 11
    const linear = (label: string, x: GPUBuffer, w: string, y: GPUBuffer, N: number, Kin: number, epilogue: Epilogue = 'none') =>
      T === 1
        ? matvec(gpu, { x, w: this.w.get(`${w}.weight`)!, bias: this.wb(`${w}.bias`), out: y, N, K: Kin, label, epilogue })
        : [matmul(gpu, { a: x, b: this.w.get(`${w}.weight`)!, bias: this.wb(`${w}.bias`), out: y, M: T, N, K: Kin, label, epilogue })];

    steps.push(...embed(gpu, { ids: act.ids, wte: this.w.get('wte.weight')!, wpe: this.w.get('wpe.weight')!, out: act.resid, T, C }));
    for (let l = 0; l < cfg.nLayers; l++) {
      const h = `h.${l}`;
      at(`blocks.${l}.hook_resid_pre`);
      steps.push(
        layernorm(gpu, { inp: act.resid, weight: this.wb(`${h}.ln_1.weight`), bias: this.wb(`${h}.ln_1.bias`), out: act.ln, T, C, eps, label: `${h}.ln_1` }),
        ...linear(`${h}.attn.c_attn`, act.ln, `${h}.attn.c_attn`, act.qkv, 3 * C, C),
        kvAppend(gpu, { qkv: act.qkv, kCache: cache.k[l], vCache: cache.v[l], T, layout: gpt2Qkv(C), label: `${h}.kv_append` }),
        ...attention(gpu, { qkv: act.qkv, kCache: cache.k[l], vCache: cache.v[l], out: act.att, T, nCtx, heads: gpt2Heads(C, NH), label: `${h}.attn` }),
        ...linear(`${h}.attn.c_proj`, act.att, `${h}.attn.c_proj`, act.resid, C, C, 'residual'),
      );
      at(`blocks.${l}.hook_resid_mid`);
      steps.push(
        layernorm(gpu, { inp: act.resid, weight: this.wb(`${h}.ln_2.weight`), bias: this.wb(`${h}.ln_2.bias`), out: act.ln, T, C, eps, label: `${h}.ln_2` }),
        ...linear(`${h}.mlp.c_fc`, act.ln, `${h}.mlp.c_fc`, act.fc, dMlp, C, 'gelu'),
        ...linear(`${h}.mlp.c_proj`, act.fc, `${h}.mlp.c_proj`, act.resid, C, dMlp, 'residual'),
      );
      at(`blocks.${l}.hook_resid_post`);
    }
    if (R > 0) {
      const logitsBuf = sampleWords ? this.lastLogits() : createBuffer(gpu.device, `logits (${R}, V)`, R * cfg.vocabSize * 4);
      steps.push(
        layernorm(gpu, { inp: act.resid, weight: this.wb('ln_f.weight'), bias: this.wb('ln_f.bias'), out: act.ln, T, C, eps, label: 'ln_f' }),
        ...logitsOp(gpu, { x: act.ln, wte: this.w.get('wte.weight')!, out: logitsBuf, row0: T - R, R, C, V: cfg.vocabSize }),
      );
      if (readR) steps.push(gpu.copy('logits', logitsBuf, out, R * cfg.vocabSize * 4, 0, logitsAt));
    }
    plan = { steps, T, hooks, R: readR, K, out, sampleAt };
    this.plans.set(key, plan);
    return plan;
  }

  private lastLogits(): GPUBuffer {
    this.sampleLogits ??= createBuffer(this.gpu.device, 'logits (1, V) for sampling', this.cfg.vocabSize * 4);
    return this.sampleLogits;
  }

  private evictPlans(): void {
    for (const p of this.plans.values()) {
      this.gpu.release(p.steps);
      p.out.destroy();
    }
    this.plans.clear();
  }

  /** Runs ids at positions cache.length.., appending to the KV cache; splits inputs over maxT. */
  async forward(ids: ArrayLike<number>, opts: ForwardOptions = {}): Promise<ForwardResult> {
    const T = ids.length;
    const cache = this.cache(opts.slot ?? 0);
    if (T < 1) throw new Error('forward: no tokens');
    if (T > cache.free) throw new Error(`forward: ${T} tokens do not fit the ${cache.free} free context positions`);
    const V = this.cfg.vocabSize;
    for (let i = 0; i < T; i++) {
      if (!(Number.isInteger(ids[i]) && ids[i] >= 0 && ids[i] < V)) throw new Error(`forward: token id ${ids[i]} is outside the vocabulary (0..${V - 1})`);
    }
    const hooks = [...new Set(opts.hooks ?? [])];
    hooks.forEach((h) => parseHook(h, this.cfg.nLayers));
    if (opts.sampler && (opts.logits ?? 'last') !== 'last') throw new Error(`forward: a sampler needs logits 'last', got '${opts.logits}'`);
    const parts: ForwardResult[] = [];
    for (let t0 = 0; t0 < T; t0 += this.maxT) {
      const chunk = Array.from({ length: Math.min(this.maxT, T - t0) }, (_, i) => ids[t0 + i]);
      const last = t0 + chunk.length === T;
      const mode = opts.logits === 'all' ? 'all' : last ? (opts.logits ?? 'last') : 'none';
      parts.push(await this.run(chunk, hooks, mode, opts.slot ?? 0, opts.steer ?? false, last ? opts.sampler : undefined));
    }
    return parts.length === 1 ? parts[0] : { ...concatResults(parts), sampled: parts[parts.length - 1].sampled };
  }

  private async run(ids: number[], hooks: string[], mode: 'last' | 'all' | 'none', slot: 0 | 1, steer: boolean, sampler?: GpuSampler): Promise<ForwardResult> {
    const T = ids.length;
    const cache = this.cache(slot);
    const plan = this.plan(T, hooks, mode, slot, steer, sampler?.words ?? 0);
    this.gpu.writeStep(cache.length);
    this.gpu.device.queue.writeBuffer(this.act.ids, 0, Uint32Array.from(ids));
    const steps = sampler
      ? [...plan.steps, ...sampler.steps(this.lastLogits(), this.cfg.vocabSize), this.gpu.copy('sample', sampler.out, plan.out, sampler.words * 4, 0, plan.sampleAt)]
      : plan.steps;
    this.gpu.run(steps, `forward T=${T}`);
    cache.length += T;
    const buf = await readBuffer(this.gpu.device, plan.out, plan.out.size);
    const C = this.cfg.dModel;
    const f32 = new Float32Array(buf);
    const hookElems = T * C;
    const logitsAt = hooks.length * hookElems;
    const saeAt = logitsAt + plan.R * this.cfg.vocabSize;
    const result: ForwardResult = { logits: f32.subarray(logitsAt, saeAt), hooks: {}, sae: null };
    hooks.forEach((h, i) => (result.hooks[h] = f32.subarray(i * hookElems, (i + 1) * hookElems)));
    if (this.attached) {
      const K = plan.K;
      result.sae = {
        topIdx: new Uint32Array(buf, saeAt * 4, T * K),
        topVal: f32.subarray(saeAt + T * K, saeAt + 2 * T * K),
        err: f32.subarray(saeAt + 2 * T * K, saeAt + 2 * T * K + 2 * T),
      };
    }
    if (sampler) result.sampled = parseSample(buf, sampler.topN, plan.sampleAt);
    return result;
  }

  /** Bytes of GPU memory this model holds: weights, activations, KV caches, SAE and plans. */
  gpuBytes(): { weights: number; activations: number; kvCache: number; sae: number; total: number } {
    const size = (bs: GPUBuffer[]) => bs.reduce((a, b) => a + b.size, 0);
    const weights = size([...this.w.values()].flatMap((t) => t.parts.map((p) => p.buffer)));
    const activations = size([...Object.values(this.act), this.steering, ...(this.sampleLogits ? [this.sampleLogits] : []), ...[...this.plans.values()].map((p) => p.out)]);
    const kvCache = size(this.caches.flatMap((c) => [...c.k, ...c.v]));
    const sae = this.attached ? this.attached.sae.gpuBytes() + size(Object.values(this.attached.acts)) : 0;
    return { weights, activations, kvCache, sae, total: weights + activations + kvCache + sae };
  }

  reset(slot: 0 | 1 = 0): void {
    this.cache(slot).length = 0;
  }

  destroy(): void {
    this.detachSae();
    this.caches.forEach((c) => c.destroy());
    this.steering.destroy();
    this.sampleLogits?.destroy();
    for (const b of Object.values(this.act)) b.destroy();
    for (const t of this.w.values()) for (const p of t.parts) p.buffer.destroy();
  }
}
