// The GPT-2 backward on the GPU, for "why this token": d target / d resid_pre[L] for every layer
// L, where the target is a logit (or a difference of two logits) at one position. A forward that
// keeps what the backward needs, then the same ops in reverse, one VJP kernel each. It reads like
// src/reference/backward/gpt2.ts, its CPU twin. Prefill from position 0 only, f32 weights.
import { createBuffer, readF32, uploadBuffer, uploadTensor, type GpuTensor } from '../gpu/buffers';
import type { Gpu, Step } from '../gpu/gpu';
import { attention, gpt2Heads } from '../kernels/attention';
import { attentionBackward } from '../kernels/attention_backward';
import { embed } from '../kernels/embed';
import { geluBackward } from '../kernels/gelu_backward';
import { gpt2Qkv, kvAppend } from '../kernels/kv_append';
import { layernorm } from '../kernels/layernorm';
import { layernormBackward } from '../kernels/layernorm_backward';
import { matmul } from '../kernels/matmul';
import { matmulBackwardInput } from '../kernels/matmul_backward';
import { expectedShapes, type Gpt2Config } from './config';
import type { Weights } from './weights';

/** logits[position, token] - logits[position, minusToken] (no minusToken: the logit alone). */
export interface LogitTarget {
  position: number;
  token: number;
  minusToken?: number | null;
}

/** What one block's backward needs from its forward. */
interface BlockActs {
  x: GPUBuffer; //   (T, C) resid_pre
  qkv: GPUBuffer; // (T, 3C)
  att: GPUBuffer; // (T, C) heads concatenated, before c_proj
  mid: GPUBuffer; // (T, C) resid_mid
  pre: GPUBuffer; // (T, 4C) c_fc's output before GELU
  fc: GPUBuffer; //  (T, 4C) after GELU
}

/**
 * d target / d resid_pre[L] ((T, C) each, L = 0..nLayers-1) for the prompt `ids`. Uploads the
 * weights itself (f32, whole: meant for small models and tests until the engine owns it) and
 * frees every buffer it made.
 */
export async function gpt2Gradients(gpu: Gpu, cfg: Gpt2Config, w: Weights, ids: number[], tg: LogitTarget): Promise<Float32Array[]> {
  const T = ids.length;
  const { dModel: C, dMlp, nHeads: NH, nLayers: L, layerNormEps: eps } = cfg;
  if (T > cfg.nCtx) throw new Error(`gpt2Gradients: ${T} tokens exceed n_ctx ${cfg.nCtx}`);
  if (tg.position < 0 || tg.position >= T) throw new Error(`gpt2Gradients: target position ${tg.position} is outside the prompt (T=${T})`);
  const made: GPUBuffer[] = [];
  const buf = (label: string, elems: number) => {
    const b = createBuffer(gpu.device, label, elems * 4);
    made.push(b);
    return b;
  };
  const shapes = expectedShapes(cfg);
  const tensors = new Map<string, GpuTensor>();
  const t = (name: string): GpuTensor => {
    let x = tensors.get(name);
    if (!x) {
      x = uploadTensor(gpu.device, name, shapes.get(name)!, w.get(name)!, Infinity);
      tensors.set(name, x);
      made.push(...x.parts.map((p) => p.buffer));
    }
    return x;
  };
  const v = (name: string) => t(name).parts[0].buffer;

  // Forward, keeping each block's activations.
  const steps: Step[] = [];
  const idsBuf = uploadBuffer(gpu.device, 'ids', Uint32Array.from(ids));
  made.push(idsBuf);
  let x = buf('resid_pre.0', T * C); // (T, C)
  steps.push(...embed(gpu, { ids: idsBuf, wte: t('wte.weight'), wpe: t('wpe.weight'), out: x, T, C }));
  const kCache = buf('k', T * C); // (T, C) this layer's keys; reused by every layer
  const vCache = buf('v', T * C);
  const ln = buf('ln', T * C); //    (T, C) scratch: ln_1, then ln_2
  const acts: BlockActs[] = [];
  for (let l = 0; l < L; l++) {
    const h = `h.${l}`;
    const a: BlockActs = { x, qkv: buf(`${h}.qkv`, T * 3 * C), att: buf(`${h}.att`, T * C), mid: buf(`${h}.mid`, T * C), pre: buf(`${h}.pre`, T * dMlp), fc: buf(`${h}.fc`, T * dMlp) };
    steps.push(layernorm(gpu, { inp: x, weight: v(`${h}.ln_1.weight`), bias: v(`${h}.ln_1.bias`), out: ln, T, C, eps }));
    steps.push(matmul(gpu, { a: ln, b: t(`${h}.attn.c_attn.weight`), bias: v(`${h}.attn.c_attn.bias`), out: a.qkv, M: T, N: 3 * C, K: C }));
    steps.push(kvAppend(gpu, { qkv: a.qkv, kCache, vCache, T, layout: gpt2Qkv(C) }));
    steps.push(...attention(gpu, { qkv: a.qkv, kCache, vCache, out: a.att, T, nCtx: T, heads: gpt2Heads(C, NH) }));
    steps.push(gpu.copy(`${h}.mid = x`, x, a.mid, T * C * 4));
    steps.push(matmul(gpu, { a: a.att, b: t(`${h}.attn.c_proj.weight`), bias: v(`${h}.attn.c_proj.bias`), out: a.mid, M: T, N: C, K: C, epilogue: 'residual' }));
    steps.push(layernorm(gpu, { inp: a.mid, weight: v(`${h}.ln_2.weight`), bias: v(`${h}.ln_2.bias`), out: ln, T, C, eps }));
    // c_fc twice, with and without the fused GELU: the backward needs GELU's input and output.
    steps.push(matmul(gpu, { a: ln, b: t(`${h}.mlp.c_fc.weight`), bias: v(`${h}.mlp.c_fc.bias`), out: a.pre, M: T, N: dMlp, K: C }));
    steps.push(matmul(gpu, { a: ln, b: t(`${h}.mlp.c_fc.weight`), bias: v(`${h}.mlp.c_fc.bias`), out: a.fc, M: T, N: dMlp, K: C, epilogue: 'gelu' }));
    x = buf(`resid_pre.${l + 1}`, T * C);
    steps.push(gpu.copy(`${h}.post = mid`, a.mid, x, T * C * 4));
    steps.push(matmul(gpu, { a: a.fc, b: t(`${h}.mlp.c_proj.weight`), bias: v(`${h}.mlp.c_proj.bias`), out: x, M: T, N: C, K: dMlp, epilogue: 'residual' }));
    acts.push(a);
  }

  // Backward. The LM head is tied (logits = ln_f(x) · wteᵀ), so for a one-hot target the
  // gradient at ln_f's output is wte[token] - wte[minusToken] in the target's row, zero elsewhere.
  const wte = w.get('wte.weight')!;
  const seed = new Float32Array(T * C); // (T, C)
  for (let c = 0; c < C; c++) seed[tg.position * C + c] = wte[tg.token * C + c] - (tg.minusToken != null ? wte[tg.minusToken * C + c] : 0);
  const dlnf = uploadBuffer(gpu.device, 'd ln_f', seed);
  made.push(dlnf);
  const dx = buf('d resid', T * C); //     (T, C) the residual stream's gradient
  const stats = buf('ln stats', 2 * T); // (T, 2)
  const dC = buf('d (T, C)', T * C); //    scratch: d att, d ln
  const d4C = buf('d (T, 4C)', T * dMlp); // d fc
  const dpre = buf('d pre', T * dMlp); //  (T, 4C)
  const dqkv = buf('d qkv', T * 3 * C); // (T, 3C)
  const probs = buf('probs', NH * T * T); // (NH, T, T)
  const ds = buf('d scores', NH * T * T); // (NH, T, T)
  const grads = Array.from({ length: L }, (_, l) => buf(`d resid_pre.${l}`, T * C));
  steps.push(layernormBackward(gpu, { dy: dlnf, x, weight: v('ln_f.weight'), dx, stats, T, C, eps }));
  for (let l = L - 1; l >= 0; l--) {
    const h = `h.${l}`;
    const a = acts[l];
    // MLP: post = mid + gelu(ln_2(mid) · c_fc) · c_proj; the residual passes dx through.
    steps.push(matmulBackwardInput(gpu, { dy: dx, b: v(`${h}.mlp.c_proj.weight`), da: d4C, M: T, N: C, K: dMlp }));
    steps.push(geluBackward(gpu, { dy: d4C, x: a.pre, dx: dpre, n: T * dMlp }));
    steps.push(matmulBackwardInput(gpu, { dy: dpre, b: v(`${h}.mlp.c_fc.weight`), da: dC, M: T, N: dMlp, K: C }));
    steps.push(layernormBackward(gpu, { dy: dC, x: a.mid, weight: v(`${h}.ln_2.weight`), dx, stats, T, C, eps, accumulate: true }));
    // Attention: mid = x + attn(ln_1(x) · c_attn) · c_proj.
    steps.push(matmulBackwardInput(gpu, { dy: dx, b: v(`${h}.attn.c_proj.weight`), da: dC, M: T, N: C, K: C }));
    steps.push(...attentionBackward(gpu, { qkv: a.qkv, dout: dC, dqkv, probs, ds, T, NH, HS: C / NH }));
    steps.push(matmulBackwardInput(gpu, { dy: dqkv, b: v(`${h}.attn.c_attn.weight`), da: dC, M: T, N: 3 * C, K: C }));
    steps.push(layernormBackward(gpu, { dy: dC, x: a.x, weight: v(`${h}.ln_1.weight`), dx, stats, T, C, eps, accumulate: true }));
    steps.push(gpu.copy(`d resid_pre.${l}`, dx, grads[l], T * C * 4));
  }

  try {
    gpu.writeStep(0);
    gpu.run(steps, 'gpt2 backward');
    return await Promise.all(grads.map((g) => readF32(gpu.device, g, T * C)));
  } finally {
    gpu.release(steps);
    for (const b of made) b.destroy();
  }
}
