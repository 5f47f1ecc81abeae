// The whole GPT-2 forward on the GPU, readable top to bottom. One call appends T tokens to a KV
// cache at position `cache.length` (prefill: T = prompt, decode: T = 1):
//   x = wte[ids] + wpe[pos]                                       [blocks.L.hook_resid_pre]
//   x += attn(ln_1(x))   (qkv -> kv cache -> attention -> c_proj) [hook_resid_mid]
//   x += mlp(ln_2(x))    (c_fc -> gelu -> c_proj)                 [hook_resid_post]
//   at the SAE's hook: encode -> top-k per token -> error -> steering edit, then continue
//   logits = ln_f(x) @ wte^T, only at the rows asked for
// Hooks, the SAE, plans, readback and sampling are shared with every family (transformer.ts).
import { createBuffer, uploadTensor, whole, type GpuTensor } from '../gpu/buffers';
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
import { expectedShapes, type Gpt2Config } from './config';
import type { KvCache } from './kv_cache';
import { gpt2Gradients, type LogitTarget } from './backward';
import { Transformer, type At } from './transformer';
import { storedDtype, type Weights } from './weights';

export type { ForwardOptions, ForwardResult, Plan, SaeOutput } from './transformer';

export class Gpt2 extends Transformer<Gpt2Config> {
  private readonly w: Map<string, GpuTensor>;
  private readonly act: Record<'ln' | 'qkv' | 'att' | 'fc', GPUBuffer>;

  /**
   * weightDtype: how the matrices (wte, wpe and every Linear's weight) are stored on the GPU;
   * biases and layer norms stay f32. Pass f16 data's f32 values: f16 storage rounds them. A
   * tensor already on the GPU is used as it is (the launch-shape test passes storage-less ones).
   */
  constructor(gpu: Gpu, cfg: Gpt2Config, weights: Weights | Map<string, GpuTensor>, weightDtype: WeightDtype = 'f32') {
    super(gpu, cfg, weightDtype, cfg.dModel);
    const { device } = gpu;
    const { dModel: C, dMlp, nCtx: T } = cfg;
    this.w = new Map();
    for (const [name, shape] of expectedShapes(cfg)) {
      const data = weights.get(name)!;
      this.w.set(name, data instanceof Float32Array ? uploadTensor(device, name, shape, data, gpu.ctx.maxBinding, storedDtype(shape, weightDtype)) : data);
    }
    this.act = {
      ln: createBuffer(device, 'ln (T, C)', T * C * 4),
      qkv: createBuffer(device, 'qkv (T, 3C)', T * 3 * C * 4),
      att: createBuffer(device, 'att (T, C)', T * C * 4),
      fc: createBuffer(device, 'fc (T, 4C)', T * dMlp * 4),
    };
  }

  /** A weight tensor by its GPT-2 name (e.g. h.0.attn.c_attn.weight), as the forward reads it: for the backward. */
  tensor(name: string): GpuTensor {
    const t = this.w.get(name);
    if (!t) throw new Error(`gpt2: no tensor ${name}`);
    return t;
  }

  get eosIds(): number[] {
    return this.cfg.eosTokenId === null ? [] : [this.cfg.eosTokenId];
  }

  gradients(ids: number[], target: LogitTarget): Promise<Float32Array[]> {
    return gpt2Gradients(this, ids, target);
  }

  /** The LM head is tied to wte. */
  get unembed(): GpuTensor {
    return this.w.get('wte.weight')!;
  }

  protected weights(): GpuTensor[] {
    return [...this.w.values()];
  }

  protected activations(): GPUBuffer[] {
    return Object.values(this.act);
  }

  private wb(name: string): GPUBuffer {
    return whole(this.w.get(name)!);
  }

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

  protected build(steps: Step[], T: number, cache: KvCache, at: At, R: number, logits: GPUBuffer | null): void {
    const { gpu, cfg, act, resid } = this;
    const { dModel: C, dMlp, nHeads: NH, nCtx, layerNormEps: eps } = cfg;
    // c_fc fuses its GELU and each c_proj its residual add: 8 dispatches a layer, not 11
    const linear = (label: string, x: GPUBuffer, w: string, y: GPUBuffer, N: number, Kin: number, epilogue: Epilogue = 'none') =>
      T === 1
        ? matvec(gpu, { x, w: this.w.get(`${w}.weight`)!, bias: this.wb(`${w}.bias`), out: y, N, K: Kin, label, epilogue })
        : [matmul(gpu, { a: x, b: this.w.get(`${w}.weight`)!, bias: this.wb(`${w}.bias`), out: y, M: T, N, K: Kin, label, epilogue })];

    steps.push(...embed(gpu, { ids: this.ids, wte: this.w.get('wte.weight')!, wpe: this.w.get('wpe.weight')!, out: resid, T, C }));
    for (let l = 0; l < cfg.nLayers; l++) {
      const h = `h.${l}`;
      at(`blocks.${l}.hook_resid_pre`);
      steps.push(
        layernorm(gpu, { inp: resid, weight: this.wb(`${h}.ln_1.weight`), bias: this.wb(`${h}.ln_1.bias`), out: act.ln, T, C, eps, label: `${h}.ln_1` }),
        ...linear(`${h}.attn.c_attn`, act.ln, `${h}.attn.c_attn`, act.qkv, 3 * C, C),
        kvAppend(gpu, { qkv: act.qkv, kCache: cache.k[l], vCache: cache.v[l], T, layout: gpt2Qkv(C), label: `${h}.kv_append` }),
        ...attention(gpu, { qkv: act.qkv, kCache: cache.k[l], vCache: cache.v[l], out: act.att, T, nCtx, heads: gpt2Heads(C, NH), label: `${h}.attn` }),
      );
      at(`blocks.${l}.attn.hook_pattern`, { qkv: act.qkv, heads: gpt2Heads(C, NH) });
      steps.push(...linear(`${h}.attn.c_proj`, act.att, `${h}.attn.c_proj`, resid, C, C, 'residual'));
      at(`blocks.${l}.hook_resid_mid`);
      steps.push(
        layernorm(gpu, { inp: resid, weight: this.wb(`${h}.ln_2.weight`), bias: this.wb(`${h}.ln_2.bias`), out: act.ln, T, C, eps, label: `${h}.ln_2` }),
        ...linear(`${h}.mlp.c_fc`, act.ln, `${h}.mlp.c_fc`, act.fc, dMlp, C, 'gelu'),
        ...linear(`${h}.mlp.c_proj`, act.fc, `${h}.mlp.c_proj`, resid, C, dMlp, 'residual'),
      );
      at(`blocks.${l}.hook_resid_post`);
    }
    if (logits) steps.push(...this.head(resid, act.ln, T, logits, T - R, R));
  }

  head(x: GPUBuffer, normed: GPUBuffer, T: number, logits: GPUBuffer, row0: number, R: number): Step[] {
    const { gpu, cfg } = this;
    const { dModel: C, layerNormEps: eps } = cfg;
    return [
      layernorm(gpu, { inp: x, weight: this.wb('ln_f.weight'), bias: this.wb('ln_f.bias'), out: normed, T, C, eps, label: 'ln_f' }),
      ...logitsOp(gpu, { x: normed, wte: this.w.get('wte.weight')!, out: logits, row0, R, C, V: cfg.vocabSize }),
    ];
  }
}
