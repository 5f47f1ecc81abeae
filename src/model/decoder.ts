// The modern decoder forward (Gemma 3, Gemma 2, Llama 3, Qwen 3) on the GPU, readable top to
// bottom and driven by the normalised config (decoder_config.ts). One call appends T tokens to
// a KV cache that holds the KV heads only:
//   x = embed[ids] * embedScale                                   [blocks.L.hook_resid_pre]
//   a = attn(rmsnorm(x))  qkv -> (QK-norm) -> RoPE -> kv cache -> grouped-query attention,
//                         sliding window on the layers that have one, soft-capped scores -> o
//   x += a, or with Gemma's sandwich norms x += rmsnorm(a)        [hook_resid_mid]
//   m = down(act(gate h) * up h), h = rmsnorm(x)   (GeGLU or SwiGLU)
//   x += m, or x += rmsnorm(m)                                    [hook_resid_post]
//   logits = rmsnorm(x) @ lm_head^T (tied: embed), soft-capped when the config says
// Hooks, the SAE at its hook, steering, plans, readback and sampling: transformer.ts.
import { createBuffer, uploadBuffer, uploadTensor, whole, type GpuTensor } from '../gpu/buffers';
import type { WeightDtype } from '../gpu/f16';
import type { Gpu, Step } from '../gpu/gpu';
import { weightOp, type Constants } from '../gpu/pipelines';
import { attention, attentionWarmList, type AttentionHeads } from '../kernels/attention';
import { embed } from '../kernels/embed';
import { glu } from '../kernels/glu';
import { kvAppend, type QkvLayout } from '../kernels/kv_append';
import { logits as logitsOp, logitsLaunch } from '../kernels/logits';
import { matmul, matmulPipeline, type Epilogue } from '../kernels/matmul';
import { matvec, matvecPipelines } from '../kernels/matvec';
import { rmsnorm } from '../kernels/rmsnorm';
import { rope } from '../kernels/rope';
import type { LogitTarget } from './backward';
import { decoderGradients } from './decoder_backward';
import { ropeInvFreq, type DecoderConfig } from './decoder_config';
import type { KvCache } from './kv_cache';
import { ropeTable } from './rope';
import { Transformer, type At } from './transformer';
import { storedDtype } from './weights';

import { DECODER_MAX_CONTEXT } from './decoder_config';
export { DECODER_MAX_CONTEXT };

export class Decoder extends Transformer<DecoderConfig> {
  private readonly w = new Map<string, GpuTensor>();
  private readonly act: Record<'ln' | 'qkv' | 'att' | 'sub' | 'gateUp' | 'mlp', GPUBuffer>;
  /** Per layer, its RoPE cos/sin table (n_ctx, HS/2, 2); layers with the same RoPE share one. */
  private readonly ropeTables: GPUBuffer[] = [];
  /** Zero biases by width, for the linears that have none. */
  private readonly zeros = new Map<number, GPUBuffer>();
  private readonly qkv: QkvLayout;

  /**
   * tensors: decoderTensors(cfg, ...)'s output on the GPU (see uploadAll; the matrices as
   * weightDtype, vectors as f32). The context is capped at maxContext.
   */
  constructor(gpu: Gpu, cfg: DecoderConfig, tensors: Iterable<GpuTensor>, weightDtype: WeightDtype = 'f32', maxContext = DECODER_MAX_CONTEXT) {
    const { nHeads: NH, nKvHeads: NKV, dHead: HS, dMlp: F } = cfg;
    super(gpu, { ...cfg, nCtx: Math.min(cfg.nCtx, maxContext) }, weightDtype, NKV * HS);
    const { device } = gpu;
    for (const t of tensors) this.w.set(t.name, t);
    const T = this.cfg.nCtx;
    const C = cfg.dModel;
    this.qkv = { width: NKV * HS, stride: (NH + 2 * NKV) * HS, kOffset: NH * HS };
    this.act = {
      ln: createBuffer(device, 'ln (T, C)', T * C * 4),
      qkv: createBuffer(device, 'qkv (T, (NH + 2 NKV) HS)', T * this.qkv.stride * 4),
      att: createBuffer(device, 'att (T, NH HS)', T * NH * HS * 4),
      sub: createBuffer(device, 'sublayer out (T, C), before a sandwich norm', T * C * 4),
      gateUp: createBuffer(device, 'gate_up (T, 2F)', T * 2 * F * 4),
      mlp: createBuffer(device, 'mlp (T, F)', T * F * 4),
    };
    const tables = new Map<string, GPUBuffer>();
    for (const [l, layer] of cfg.layers.entries()) {
      const key = JSON.stringify(layer.rope);
      if (!tables.has(key)) tables.set(key, uploadBuffer(device, `rope ${key} (n_ctx, HS/2, 2)`, ropeTable(ropeInvFreq(layer.rope, HS), T)));
      this.ropeTables[l] = tables.get(key)!;
    }
  }

  /** A weight tensor by its GPU-layout name (decoder_prep.ts, e.g. layers.0.qkv), as the forward reads it: for the backward. */
  tensor(name: string): GpuTensor {
    const t = this.w.get(name);
    if (!t) throw new Error(`decoder: no tensor ${name}`);
    return t;
  }

  /** Layer l's RoPE cos/sin table (n_ctx, HS/2, 2), as the forward reads it: for the backward. */
  ropeTableOf(l: number): GPUBuffer {
    return this.ropeTables[l];
  }

  get eosIds(): number[] {
    return this.cfg.eosTokenIds;
  }

  gradients(ids: number[], target: LogitTarget): Promise<Float32Array[]> {
    return decoderGradients(this, ids, target);
  }

  /** lm_head, or the token embedding when tied (without the sqrt(C) scale Gemma applies on input). */
  get unembed(): GpuTensor {
    return this.w.get(this.cfg.tiedEmbeddings ? 'embed' : 'lm_head')!;
  }

  protected weights(): GpuTensor[] {
    return [...this.w.values()];
  }

  protected activations(): GPUBuffer[] {
    return [...Object.values(this.act), ...new Set(this.ropeTables), ...this.zeros.values()];
  }

  private wb(name: string): GPUBuffer {
    const t = this.w.get(name);
    if (!t) throw new Error(`decoder: no tensor ${name}`);
    return whole(t);
  }

  /** A linear's bias, or a zero buffer of width N (the model's own, shared) when it has none. */
  bias(name: string, N: number): GPUBuffer {
    if (this.w.has(name)) return this.wb(name);
    let z = this.zeros.get(N);
    if (!z) this.zeros.set(N, (z = createBuffer(this.gpu.device, `zero bias (${N})`, N * 4)));
    return z;
  }

  /** The linears as [weight, N, K, epilogue] (epilogue residual: added into the stream, no sandwich norm). */
  private linears(): Array<[string, number, number, Epilogue]> {
    const { dModel: C, nHeads: NH, dHead: HS, dMlp: F, sandwichNorms } = this.cfg;
    const out: Epilogue = sandwichNorms ? 'none' : 'residual';
    return [['qkv', this.qkv.stride, C, 'none'], ['o', C, NH * HS, out], ['gate_up', 2 * F, C, 'none'], ['down', C, F, out]];
  }

  async warm(): Promise<void> {
    const { gpu, weightDtype: dt, cfg } = this;
    const rows = { WG: gpu.rowThreads, OFFSET: cfg.normOffset };
    const list: Array<[string, Constants?]> = [
      [weightOp('embed', dt), { POS: 0 }], ['kv_append'], ['glu', { ACT: cfg.act === 'silu' ? 1 : 0 }],
      [weightOp('logits', dt), { ...logitsLaunch(gpu), ...(cfg.finalSoftcap ? { SOFTCAP: cfg.finalSoftcap } : {}) }],
      [gpu.reduceOp('rmsnorm'), { ...rows, EPILOGUE: 0 }], [gpu.reduceOp('rmsnorm'), { ...rows, EPILOGUE: 1 }],
      [gpu.reduceOp('rope'), { WG: gpu.rowThreads, QK_NORM: cfg.qkNorm ? 1 : 0, OFFSET: cfg.qkNorm ? cfg.normOffset : 0 }],
      ...attentionWarmList(gpu, this.cfg.nCtx),
      ...this.linears().flatMap(([, N, K, e]) => [matmulPipeline(gpu, dt, e), ...matvecPipelines(gpu, dt, N, K, e)]),
    ];
    await gpu.pipelines.warm(list);
  }

  protected build(steps: Step[], T: number, cache: KvCache, at: At, R: number, logits: GPUBuffer | null): void {
    const { gpu, cfg, act, resid } = this;
    const { dModel: C, nHeads: NH, nKvHeads: NKV, dHead: HS, dMlp: F, rmsNormEps: eps, normOffset: offset } = cfg;
    const [qkvL, oL, gateUpL, downL] = this.linears();
    const linear = (p: string, [w, N, K, epilogue]: [string, number, number, Epilogue], x: GPUBuffer, y: GPUBuffer) => {
      const a = { w: this.w.get(`${p}${w}`)!, bias: this.bias(`${p}${w}.bias`, N), out: y, N, K, label: `${p}${w}`, epilogue };
      return T === 1 ? matvec(gpu, { x, ...a }) : [matmul(gpu, { a: x, b: a.w, M: T, ...a })];
    };
    const norm = (p: string, name: string, inp: GPUBuffer, out: GPUBuffer, addTo = false) =>
      rmsnorm(gpu, { inp, weight: this.wb(`${p}${name}`), out, T, C, eps, offset, addTo, label: `${p}${name}` });

    steps.push(...embed(gpu, { ids: this.ids, wte: this.w.get('embed')!, wpe: null, out: resid, T, C, scale: cfg.embedScale }));
    for (let l = 0; l < cfg.nLayers; l++) {
      const p = `layers.${l}.`;
      const layer = cfg.layers[l];
      const heads: AttentionHeads = { NH, NKV, HS, qStride: this.qkv.stride, window: layer.window, scale: cfg.attnScale, softcap: cfg.attnSoftcap };
      const qkNorm = cfg.qkNorm ? { weight: this.wb(`${p}qk_norm`), eps, offset } : undefined;
      at(`blocks.${l}.hook_resid_pre`);
      steps.push(
        norm(p, 'input_layernorm', resid, act.ln),
        ...linear(p, qkvL, act.ln, act.qkv),
        rope(gpu, { qkv: act.qkv, table: this.ropeTables[l], T, NH, NKV, HS, stride: this.qkv.stride, qkNorm, label: `${p}rope` }),
        kvAppend(gpu, { qkv: act.qkv, kCache: cache.k[l], vCache: cache.v[l], T, layout: this.qkv, label: `${p}kv_append` }),
        ...attention(gpu, { qkv: act.qkv, kCache: cache.k[l], vCache: cache.v[l], out: act.att, T, nCtx: this.cfg.nCtx, heads, label: `${p}attn` }),
      );
      at(`blocks.${l}.attn.hook_pattern`, { qkv: act.qkv, heads });
      if (cfg.sandwichNorms) steps.push(...linear(p, oL, act.att, act.sub), norm(p, 'post_attention_layernorm', act.sub, resid, true));
      else steps.push(...linear(p, oL, act.att, resid));
      at(`blocks.${l}.hook_resid_mid`);
      steps.push(
        norm(p, cfg.sandwichNorms ? 'pre_feedforward_layernorm' : 'post_attention_layernorm', resid, act.ln),
        ...linear(p, gateUpL, act.ln, act.gateUp),
        glu(gpu, { gateUp: act.gateUp, out: act.mlp, T, D: F, act: cfg.act, label: `${p}mlp.act` }),
      );
      if (cfg.sandwichNorms) steps.push(...linear(p, downL, act.mlp, act.sub), norm(p, 'post_feedforward_layernorm', act.sub, resid, true));
      else steps.push(...linear(p, downL, act.mlp, resid));
      at(`blocks.${l}.hook_resid_post`);
    }
    if (logits) steps.push(...this.head(resid, act.ln, T, logits, T - R, R));
  }

  head(x: GPUBuffer, normed: GPUBuffer, T: number, logits: GPUBuffer, row0: number, R: number): Step[] {
    const { gpu, cfg } = this;
    const { dModel: C, rmsNormEps: eps, normOffset: offset } = cfg;
    const head = this.w.get(cfg.tiedEmbeddings ? 'embed' : 'lm_head')!;
    return [
      rmsnorm(gpu, { inp: x, weight: this.wb('norm'), out: normed, T, C, eps, offset, label: 'norm' }),
      ...logitsOp(gpu, { x: normed, wte: head, out: logits, row0, R, C, V: cfg.vocabSize, softcap: cfg.finalSoftcap }),
    ];
  }
}
