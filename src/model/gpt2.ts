// The whole GPT-2 forward on the GPU, readable top to bottom. One call appends T tokens to the
// KV cache at position `cache.length` (prefill: T = prompt, decode: T = 1):
//   x = wte[ids] + wpe[pos]                                  [blocks.L.hook_resid_pre]
//   x += attn(ln_1(x))   (qkv -> kv cache -> attention -> c_proj)  [hook_resid_mid]
//   x += mlp(ln_2(x))    (c_fc -> gelu -> c_proj)            [hook_resid_post]
//   logits = ln_f(x) @ wte^T, only at the rows asked for
// Plans (the dispatch lists) are built once per (T, hooks, logits rows) and cached.
import { createBuffer, readBuffer, uploadTensor, whole, type GpuTensor } from '../gpu/buffers';
import type { Gpu, Step } from '../gpu/gpu';
import { add } from '../kernels/add';
import { attention } from '../kernels/attention';
import { embed } from '../kernels/embed';
import { gelu } from '../kernels/gelu';
import { kvAppend } from '../kernels/kv_append';
import { layernorm } from '../kernels/layernorm';
import { logits as logitsOp } from '../kernels/logits';
import { matmul } from '../kernels/matmul';
import { matvec } from '../kernels/matvec';
import { expectedShapes, type Gpt2Config } from './config';
import { parseHook, type HookName } from './hooks';
import { KvCache } from './kv_cache';
import type { Weights } from './weights';

export interface ForwardOptions {
  /** Residual hooks to return for every token of this call, by TransformerLens name. */
  hooks?: string[];
  /** Which rows get logits: the last token only (generation), every token, or none. */
  logits?: 'last' | 'all' | 'none';
}

export interface ForwardResult {
  /** (R, V) with R = 1 for 'last', T for 'all', 0 for 'none'. */
  logits: Float32Array;
  hooks: Record<string, Float32Array>; // each (T, C)
}

export interface Plan {
  steps: Step[];
  hooks: string[];
  R: number;
  /** Hook captures (nHooks * T * C) then logits (R * V), read back in one copy. */
  out: GPUBuffer;
}

export class Gpt2 {
  readonly cache: KvCache;
  /** Longest chunk one forward call takes; longer inputs go in several calls. */
  readonly maxT: number;
  private readonly w: Map<string, GpuTensor>;
  private readonly act: Record<'resid' | 'ln' | 'qkv' | 'att' | 'proj' | 'fc' | 'ids', GPUBuffer>;
  private readonly plans = new Map<string, Plan>();

  constructor(readonly gpu: Gpu, readonly cfg: Gpt2Config, weights: Weights, maxT = cfg.nCtx) {
    const { device } = gpu;
    const { dModel: C, dMlp } = cfg;
    this.maxT = Math.min(maxT, cfg.nCtx);
    this.w = new Map();
    for (const [name, shape] of expectedShapes(cfg)) {
      this.w.set(name, uploadTensor(device, name, shape, weights.get(name)!, gpu.ctx.maxBinding));
    }
    const T = this.maxT;
    this.act = {
      resid: createBuffer(device, 'resid (T, C)', T * C * 4),
      ln: createBuffer(device, 'ln (T, C)', T * C * 4),
      qkv: createBuffer(device, 'qkv (T, 3C)', T * 3 * C * 4),
      att: createBuffer(device, 'att (T, C)', T * C * 4),
      proj: createBuffer(device, 'proj (T, C)', T * C * 4),
      fc: createBuffer(device, 'fc (T, 4C)', T * dMlp * 4),
      ids: createBuffer(device, 'ids (T)', T * 4),
    };
    this.cache = new KvCache(device, cfg.nLayers, cfg.nCtx, C);
  }

  private wb(name: string): GPUBuffer {
    return whole(this.w.get(name)!);
  }

  /** Pipelines every forward uses, compiled ahead of the first prompt. */
  async warm(): Promise<void> {
    await this.gpu.pipelines.warm([
      ['embed'], ['layernorm'], ['matmul'], ['matvec'], ['kv_append'],
      ['attention', { MAX_CTX: this.cfg.nCtx }], ['gelu'], ['add'], ['logits'],
    ]);
  }

  /** The dispatch list for a T-token call (public for the benchmark's per-op profile). */
  plan(T: number, hooks: string[], mode: 'last' | 'all' | 'none'): Plan {
    const key = `${T}|${hooks.join(',')}|${mode}`;
    let plan = this.plans.get(key);
    if (plan) return plan;
    if (this.plans.size >= 16) this.evictPlans();
    const { gpu, cfg, act } = this;
    const { dModel: C, dMlp, nHeads: NH, nCtx, layerNormEps: eps } = cfg;
    const R = mode === 'all' ? T : mode === 'last' ? 1 : 0;
    const hookBytes = T * C * 4;
    const out = createBuffer(gpu.device, `forward out T=${T}`, hooks.length * hookBytes + R * cfg.vocabSize * 4);
    const byHook = new Map(hooks.map((h, i) => [h, i]));
    const steps: Step[] = [];
    const capture = (hook: HookName) => {
      const i = byHook.get(hook);
      if (i !== undefined) steps.push(gpu.copy(hook, act.resid, out, hookBytes, 0, i * hookBytes));
    };
    const linear = (label: string, x: GPUBuffer, w: string, y: GPUBuffer, N: number, K: number) =>
      T === 1
        ? matvec(gpu, { x, w: this.wb(`${w}.weight`), bias: this.wb(`${w}.bias`), out: y, N, K, label })
        : matmul(gpu, { a: x, b: this.wb(`${w}.weight`), bias: this.wb(`${w}.bias`), out: y, M: T, N, K, label });

    steps.push(...embed(gpu, { ids: act.ids, wte: this.w.get('wte.weight')!, wpe: this.wb('wpe.weight'), out: act.resid, T, C }));
    for (let l = 0; l < cfg.nLayers; l++) {
      const h = `h.${l}`;
      capture(`blocks.${l}.hook_resid_pre`);
      steps.push(
        layernorm(gpu, { inp: act.resid, weight: this.wb(`${h}.ln_1.weight`), bias: this.wb(`${h}.ln_1.bias`), out: act.ln, T, C, eps, label: `${h}.ln_1` }),
        linear(`${h}.attn.c_attn`, act.ln, `${h}.attn.c_attn`, act.qkv, 3 * C, C),
        kvAppend(gpu, { qkv: act.qkv, kCache: this.cache.k[l], vCache: this.cache.v[l], T, C, label: `${h}.kv_append` }),
        attention(gpu, { qkv: act.qkv, kCache: this.cache.k[l], vCache: this.cache.v[l], out: act.att, T, C, NH, nCtx, label: `${h}.attn` }),
        linear(`${h}.attn.c_proj`, act.att, `${h}.attn.c_proj`, act.proj, C, C),
        add(gpu, { x: act.resid, y: act.proj, n: T * C, label: `${h}.attn_residual` }),
      );
      capture(`blocks.${l}.hook_resid_mid`);
      steps.push(
        layernorm(gpu, { inp: act.resid, weight: this.wb(`${h}.ln_2.weight`), bias: this.wb(`${h}.ln_2.bias`), out: act.ln, T, C, eps, label: `${h}.ln_2` }),
        linear(`${h}.mlp.c_fc`, act.ln, `${h}.mlp.c_fc`, act.fc, dMlp, C),
        gelu(gpu, { x: act.fc, n: T * dMlp, label: `${h}.gelu` }),
        linear(`${h}.mlp.c_proj`, act.fc, `${h}.mlp.c_proj`, act.proj, C, dMlp),
        add(gpu, { x: act.resid, y: act.proj, n: T * C, label: `${h}.mlp_residual` }),
      );
      capture(`blocks.${l}.hook_resid_post`);
    }
    if (R > 0) {
      const logitsBuf = createBuffer(gpu.device, `logits (${R}, V)`, R * cfg.vocabSize * 4);
      steps.push(
        layernorm(gpu, { inp: act.resid, weight: this.wb('ln_f.weight'), bias: this.wb('ln_f.bias'), out: act.ln, T, C, eps, label: 'ln_f' }),
        ...logitsOp(gpu, { x: act.ln, wte: this.w.get('wte.weight')!, out: logitsBuf, row0: T - R, R, C, V: cfg.vocabSize }),
        gpu.copy('logits', logitsBuf, out, R * cfg.vocabSize * 4, 0, hooks.length * hookBytes),
      );
    }
    plan = { steps, hooks, R, out };
    this.plans.set(key, plan);
    return plan;
  }

  private evictPlans(): void {
    for (const p of this.plans.values()) {
      this.gpu.release(p.steps);
      p.out.destroy();
    }
    this.plans.clear();
  }

  /** Runs ids (T <= maxT) at positions cache.length.., appending to the KV cache. */
  async forward(ids: ArrayLike<number>, opts: ForwardOptions = {}): Promise<ForwardResult> {
    const T = ids.length;
    if (T < 1 || T > this.maxT) throw new Error(`forward: ${T} tokens; one call takes 1..${this.maxT}`);
    if (T > this.cache.free) throw new Error(`forward: ${T} tokens do not fit the ${this.cache.free} free context positions`);
    const V = this.cfg.vocabSize;
    for (let i = 0; i < T; i++) {
      if (!(ids[i] >= 0 && ids[i] < V)) throw new Error(`forward: token id ${ids[i]} is outside the vocabulary (0..${V - 1})`);
    }
    const hooks = [...new Set(opts.hooks ?? [])];
    hooks.forEach((h) => parseHook(h, this.cfg.nLayers));
    const plan = this.plan(T, hooks, opts.logits ?? 'last');
    this.gpu.writeStep(this.cache.length);
    this.gpu.device.queue.writeBuffer(this.act.ids, 0, Uint32Array.from(ids));
    this.gpu.run(plan.steps, `forward T=${T}`);
    this.cache.length += T;
    const hookElems = T * this.cfg.dModel;
    const bytes = (plan.hooks.length * hookElems + plan.R * V) * 4;
    const data = bytes ? new Float32Array(await readBuffer(this.gpu.device, plan.out, bytes)) : new Float32Array(0);
    const result: ForwardResult = { logits: data.subarray(plan.hooks.length * hookElems), hooks: {} };
    plan.hooks.forEach((h, i) => (result.hooks[h] = data.subarray(i * hookElems, (i + 1) * hookElems)));
    return result;
  }

  reset(): void {
    this.cache.length = 0;
  }

  destroy(): void {
    this.evictPlans();
    this.cache.destroy();
    for (const b of Object.values(this.act)) b.destroy();
    for (const t of this.w.values()) for (const p of t.parts) p.buffer.destroy();
  }
}
