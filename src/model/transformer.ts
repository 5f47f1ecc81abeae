// What every forward shares, whatever the family: the KV caches (two slots: baseline and steered),
// the residual hooks by TransformerLens name, the SAE at its hook with steering, the plan cache
// (dispatch lists built once per (T, options)), one readback per call, and sampling on the GPU.
// A family (gpt2.ts, decoder.ts) supplies its weights and its steps, readable top to bottom.
import { createBuffer, readBuffer, type GpuTensor } from '../gpu/buffers';
import type { WeightDtype } from '../gpu/f16';
import type { Gpu, Step } from '../gpu/gpu';
import { NonFiniteError } from '../errors';
import type { LogitTarget } from './backward';
import { parseSample, type SampledToken } from '../kernels/sample';
import { packSteering, STEERING_BYTES, type SteeringEntry } from '../kernels/steer';
import type { Sae, SaeActs } from '../sae/sae';
import type { GpuSampler } from './gpu_sampler';
import { attentionPattern } from '../kernels/attention_pattern';
import type { AttentionHeads } from '../kernels/attention';
import { parseHook, type HookName, type PatternHook } from './hooks';
import { KvCache } from './kv_cache';
import { concatResults } from './results';

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
  /** Return the attention weights of the input's last token (blocks.L.attn.hook_pattern's last query row). */
  pattern?: boolean;
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
  /** With `pattern`: (nLayers, NH, P), the last token's attention weights over positions 0..P-1. */
  pattern?: Float32Array;
}

/** What a family hands at blocks.L.attn.hook_pattern: its queries (after RoPE) and heads. */
export interface PatternSource {
  qkv: GPUBuffer;
  heads: AttentionHeads;
}

/** The callback a family's build() calls at each hook. */
export type At = (hook: HookName | PatternHook, attn?: PatternSource) => void;

export interface Plan {
  steps: Step[];
  T: number;
  hooks: string[];
  /** Logits rows read back. */
  R: number;
  K: number;
  /** Hook captures, logits, SAE top-k ids, values and errors, then a sample: read back in one copy. */
  out: GPUBuffer;
  /** Byte offset of the sampler's output in `out` (sampleWords u32 when the plan samples). */
  sampleAt: number;
  /** Byte offset of the attention pattern (nLayers, NH, P) in `out`, -1 when not asked. */
  patternAt: number;
  /** Buffers made for this plan alone, freed with it. */
  owned: GPUBuffer[];
}

/** The dimensions the shared machinery needs, from either family's config. */
export interface ModelDims {
  nLayers: number;
  nHeads: number;
  dModel: number;
  vocabSize: number;
  nCtx: number;
  bosTokenId: number | null;
}

interface AttachedSae {
  sae: Sae;
  acts: SaeActs;
  K: number;
}

export abstract class Transformer<Cfg extends ModelDims = ModelDims> {
  /** Longest chunk one plan runs; forward() splits longer inputs. */
  maxT: number;
  protected readonly resid: GPUBuffer; // (maxT, C), the residual stream
  protected readonly ids: GPUBuffer; // (maxT)
  private readonly caches: KvCache[] = [];
  private readonly plans = new Map<string, Plan>();
  private attached: AttachedSae | null = null;
  protected readonly steering: GPUBuffer;
  /** (1, V): the last row's logits when a sampler reads them on the GPU. */
  private sampleLogits: GPUBuffer | null = null;

  constructor(
    readonly gpu: Gpu,
    readonly cfg: Cfg,
    readonly weightDtype: WeightDtype,
    /** Width of one KV cache row: C for GPT-2, NKV * HS for grouped-query attention. */
    private readonly kvWidth: number,
  ) {
    const { device } = gpu;
    this.maxT = cfg.nCtx;
    this.resid = createBuffer(device, 'resid (T, C)', cfg.nCtx * cfg.dModel * 4);
    this.ids = createBuffer(device, 'ids (T)', cfg.nCtx * 4);
    this.steering = createBuffer(device, 'steering', STEERING_BYTES);
    this.caches.push(new KvCache(device, cfg.nLayers, cfg.nCtx, kvWidth));
  }

  /** The token ids that end a generation. */
  abstract get eosIds(): number[];
  /** W_U as the LM head reads it, (V, C) rows (tied: the token embedding), f32 or f16, maybe split. */
  abstract get unembed(): GpuTensor;
  /**
   * d target / d resid_pre[L] ((T, C) each, L = 0..nLayers-1) for the prompt `ids` run from
   * position 0, the target a logit (or a difference of two) at one position: the family's GPU
   * backward (backward.ts, decoder_backward.ts) on the model's own weights. Leaves the KV caches
   * and plans alone.
   */
  abstract gradients(ids: number[], target: LogitTarget): Promise<Float32Array[]>;
  /** Every weight tensor on the GPU (for memory accounting and destroy). */
  protected abstract weights(): GpuTensor[];
  /** Activation buffers of the family's own, besides the residual stream and ids. */
  protected abstract activations(): GPUBuffer[];
  /** Pipelines every forward uses, compiled ahead of the first prompt. */
  abstract warm(): Promise<void>;
  /**
   * The final norm and the LM head over rows row0.. of x: normed (T, C) = final_norm(x (T, C)), then
   * logits (R, V) = normed[row0 .. row0+R] @ W_U^T (soft-capped where the family does). build()
   * ends with it, and the logit lens (logit_lens.ts) applies it to captured residuals.
   */
  abstract head(x: GPUBuffer, normed: GPUBuffer, T: number, logits: GPUBuffer, row0: number, R: number): Step[];
  /**
   * Pushes the steps of a T-token call: the embedding, then every layer, calling at(hook) where
   * each residual hook is (at leaves its captures and the SAE's steps there) and after each
   * layer's attention with its queries (blocks.L.attn.hook_pattern), then the final norm
   * and, when R > 0, the logits of the last R rows into `logits` (R, V).
   */
  protected abstract build(steps: Step[], T: number, cache: KvCache, at: At, R: number, logits: GPUBuffer | null): void;

  cache(slot: 0 | 1 = 0): KvCache {
    while (this.caches.length <= slot) this.caches.push(new KvCache(this.gpu.device, this.cfg.nLayers, this.cfg.nCtx, this.kvWidth));
    return this.caches[slot];
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

  /**
   * The dispatch list for a T-token call (public for the benchmark's per-op profile). sampleWords
   * > 0: the last row's logits stay on the GPU for a sampler, which run() appends.
   */
  plan(T: number, hooks: string[], mode: 'last' | 'all' | 'none', slot: 0 | 1 = 0, steer = false, sampleWords = 0, pattern = false): Plan {
    if (sampleWords && mode !== 'last') throw new Error(`plan: sampling needs logits 'last', got '${mode}'`);
    const key = `${T}|${hooks.join(',')}|${mode}|${slot}|${steer}|${sampleWords}|${pattern}`;
    let plan = this.plans.get(key);
    if (plan) return plan;
    if (this.plans.size >= 24) this.evictPlans();
    const { gpu, cfg } = this;
    const C = cfg.dModel;
    const V = cfg.vocabSize;
    const R = mode === 'all' ? T : mode === 'last' ? 1 : 0;
    const K = this.attached?.K ?? 0;
    const hookBytes = T * C * 4;
    const logitsAt = hooks.length * hookBytes;
    const readR = sampleWords ? 0 : R; // logits rows read back
    const saeAt = logitsAt + readR * V * 4;
    const sampleAt = saeAt + (this.attached ? T * (2 * K + 2) * 4 : 0);
    const patternAt = pattern ? sampleAt + sampleWords * 4 : -1;
    const patternBytes = pattern ? cfg.nLayers * cfg.nHeads * cfg.nCtx * 4 : 0; // room for any position
    const out = createBuffer(gpu.device, `forward out T=${T}`, sampleAt + sampleWords * 4 + patternBytes);
    const owned: GPUBuffer[] = [out];
    const byHook = new Map(hooks.map((h, i) => [h, i]));
    const steps: Step[] = [];
    const at: At = (hook, attn) => {
      if (attn) {
        // the last query row's weights, written straight into the readback buffer
        if (pattern) {
          const layer = Number(hook.split('.')[1]);
          steps.push(attentionPattern(gpu, { qkv: attn.qkv, kCache: this.cache(slot).k[layer], out, outOff: patternAt / 4, layer, t: T - 1, nCtx: cfg.nCtx, heads: attn.heads, label: hook }));
        }
        return;
      }
      const i = byHook.get(hook);
      if (i !== undefined) steps.push(gpu.copy(hook, this.resid, out, hookBytes, 0, i * hookBytes));
      const a = this.attached;
      if (a && a.sae.cfg.hookName === hook) {
        steps.push(...a.sae.steps(this.resid, a.acts, T, K, steer ? this.steering : null));
        steps.push(
          gpu.copy('sae.top_idx', a.acts.topIdx, out, T * K * 4, 0, saeAt),
          gpu.copy('sae.top_val', a.acts.topVal, out, T * K * 4, 0, saeAt + T * K * 4),
          gpu.copy('sae.error', a.acts.err, out, T * 8, 0, saeAt + 2 * T * K * 4),
        );
      }
    };
    let logits: GPUBuffer | null = null;
    if (sampleWords) logits = this.lastLogits();
    else if (R) owned.push((logits = createBuffer(gpu.device, `logits (${R}, V)`, R * V * 4)));
    this.build(steps, T, this.cache(slot), at, R, logits);
    if (readR) steps.push(gpu.copy('logits', logits!, out, R * V * 4, 0, logitsAt));
    plan = { steps, T, hooks, R: readR, K, out, sampleAt, patternAt, owned };
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
      p.owned.forEach((b) => b.destroy());
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
      parts.push(await this.run(chunk, hooks, mode, opts.slot ?? 0, opts.steer ?? false, last ? opts.sampler : undefined, last && !!opts.pattern));
    }
    const end = parts[parts.length - 1];
    return parts.length === 1 ? parts[0] : { ...concatResults(parts), sampled: end.sampled, ...(end.pattern ? { pattern: end.pattern } : {}) };
  }

  private async run(ids: number[], hooks: string[], mode: 'last' | 'all' | 'none', slot: 0 | 1, steer: boolean, sampler?: GpuSampler, pattern = false): Promise<ForwardResult> {
    const T = ids.length;
    const cache = this.cache(slot);
    const plan = this.plan(T, hooks, mode, slot, steer, sampler?.words ?? 0, pattern);
    this.gpu.writeStep(cache.length);
    this.gpu.device.queue.writeBuffer(this.ids, 0, Uint32Array.from(ids));
    const steps = sampler
      ? [...plan.steps, ...sampler.steps(this.lastLogits(), this.cfg.vocabSize), this.gpu.copy('sample', sampler.out, plan.out, sampler.words * 4, 0, plan.sampleAt)]
      : plan.steps;
    this.gpu.run(steps, `forward T=${T}`);
    cache.length += T;
    const buf = await readBuffer(this.gpu.device, plan.out, plan.out.size);
    const f32 = new Float32Array(buf);
    const hookElems = T * this.cfg.dModel;
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
    if (pattern) result.pattern = f32.subarray(plan.patternAt / 4, plan.patternAt / 4 + this.cfg.nLayers * this.cfg.nHeads * cache.length);
    checkFinite(result, T, plan.R);
    return result;
  }

  /** Bytes of GPU memory this model holds: weights, activations, KV caches, SAE and plans. */
  gpuBytes(): { weights: number; activations: number; kvCache: number; sae: number; total: number } {
    const size = (bs: GPUBuffer[]) => bs.reduce((a, b) => a + b.size, 0);
    const weights = size(this.weights().flatMap((t) => t.parts.map((p) => p.buffer)));
    const planBufs = [...this.plans.values()].flatMap((p) => p.owned);
    const activations = size([this.resid, this.ids, ...this.activations(), this.steering, ...(this.sampleLogits ? [this.sampleLogits] : []), ...planBufs]);
    const kvCache = size(this.caches.flatMap((c) => [...c.k, ...c.v]));
    const sae = this.attached ? this.attached.sae.gpuBytes() + size(Object.values(this.attached.acts)) : 0;
    return { weights, activations, kvCache, sae, total: weights + activations + kvCache + sae };
  }

  reset(slot: 0 | 1 = 0): void {
    this.cache(slot).length = 0;
  }

  /** Frees every buffer the model holds, the attached SAE's weights included (it goes with the model). */
  destroy(): void {
    this.attached?.sae.destroy();
    this.detachSae();
    this.caches.forEach((c) => c.destroy());
    this.steering.destroy();
    this.sampleLogits?.destroy();
    for (const b of [this.resid, this.ids, ...this.activations()]) b.destroy();
    for (const t of this.weights()) for (const p of t.parts) p.buffer.destroy();
  }
}

/**
 * A NaN or an infinity in what a forward read back is a typed error that says where it appeared.
 * hooks and SAE errors have T rows; the logits the last R.
 */
function checkFinite(r: ForwardResult, T: number, R: number): void {
  const arrays: Array<[string, Float32Array, number]> = Object.entries(r.hooks).map(([h, a]) => [h, a, T]);
  if (R) arrays.push(['the logits', r.logits, R]);
  if (r.sae) arrays.push(['the SAE error', r.sae.err, T]);
  for (const [what, a, rows] of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (v - v === 0) continue;
      const token = T - rows + Math.floor(i / (a.length / rows));
      throw new NonFiniteError(`The forward pass produced ${v} in ${what} at token ${token}: the activations overflowed. Lower the steering strength, or load the weights as f32.`);
    }
  }
}
