// The GPT-2 backward on the GPU, for "why this token": d objective / d resid_pre[L] for every layer
// L, where the objective is a logit (or a difference of two logits) at one position, or any
// function of the logits whose gradient at the final norm's output the caller gives (the
// training-data attribution's loss). A forward that keeps what the backward needs, then the same
// ops in reverse, one VJP kernel each. It reads like src/reference/backward/gpt2.ts, its CPU twin.
// Prefill from position 0 only, on the model's own weight tensors (f32 or f16): the VJP of a
// Linear reads its weight as the forward does.
import { createBuffer, readF32, uploadBuffer, whole, type GpuTensor } from '../gpu/buffers';
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
import type { Gpt2 } from './gpt2';

/** logits[position, token] - logits[position, minusToken] (no minusToken: the logit alone). */
export interface LogitTarget {
  position: number;
  token: number;
  minusToken?: number | null;
}

/**
 * One Linear's input and output gradient, as the backward passes it: y (T, N) = x (T, K) · W + b,
 * so d objective / d W = xᵀ · dy. Valid only inside the steps the hook returns (the buffers are
 * reused by later layers).
 */
export interface LinearGrad {
  /** GPT-2's name of the weight: h.L.attn.c_attn.weight, h.L.attn.c_proj.weight, h.L.mlp.c_fc.weight, h.L.mlp.c_proj.weight */
  name: string;
  x: GPUBuffer; //  (T, K)
  dy: GPUBuffer; // (T, N)
  K: number;
  N: number;
}

export interface BackwardOptions {
  /** Steps to run where each Linear's (x, dy) are ready, e.g. to project the weight gradient. */
  onLinear?: (l: LinearGrad) => Step[];
}

/** What one block's backward needs from its forward. */
interface BlockActs {
  x: GPUBuffer; //   (T, C) resid_pre
  ln1: GPUBuffer; // (T, C) ln_1(x), kept only for onLinear (else shared scratch)
  qkv: GPUBuffer; // (T, 3C)
  att: GPUBuffer; // (T, C) heads concatenated, before c_proj
  mid: GPUBuffer; // (T, C) resid_mid
  ln2: GPUBuffer; // (T, C) ln_2(mid), kept only for onLinear
  pre: GPUBuffer; // (T, 4C) c_fc's output before GELU
  fc: GPUBuffer; //  (T, 4C) after GELU
}

/** d logits[target] / d resid_pre[L] ((T, C) each, L = 0..nLayers-1) for the prompt `ids`. */
export async function gpt2Gradients(model: Gpt2, ids: number[], tg: LogitTarget): Promise<Float32Array[]> {
  const T = ids.length;
  const C = model.cfg.dModel;
  if (tg.position < 0 || tg.position >= T) throw new Error(`gpt2Gradients: target position ${tg.position} is outside the prompt (T=${T})`);
  // The LM head is tied (logits = ln_f(x) · wteᵀ), so for a one-hot target the gradient at
  // ln_f's output is wte[token] - wte[minusToken] in the target's row, zero elsewhere.
  const rows = await unembedRows(model.gpu, model.unembed, tg.minusToken != null ? [tg.token, tg.minusToken] : [tg.token], C);
  const seed = new Float32Array(T * C); // (T, C)
  for (let c = 0; c < C; c++) seed[tg.position * C + c] = rows[c] - (tg.minusToken != null ? rows[C + c] : 0);
  return gpt2Backward(model, ids, seed);
}

/** Rows of the token embedding (n, C) as f32, whatever its dtype or split, through the embed kernel. */
export async function unembedRows(gpu: Gpu, wte: GpuTensor, tokens: number[], C: number): Promise<Float32Array> {
  const ids = uploadBuffer(gpu.device, 'tokens', Uint32Array.from(tokens));
  const out = createBuffer(gpu.device, 'wte rows (n, C)', tokens.length * C * 4);
  const steps = embed(gpu, { ids, wte, wpe: null, out, T: tokens.length, C });
  try {
    gpu.writeStep(0);
    gpu.run(steps, 'wte rows');
    return await readF32(gpu.device, out, tokens.length * C);
  } finally {
    gpu.release(steps);
    ids.destroy();
    out.destroy();
  }
}

/**
 * d objective / d resid_pre[L] ((T, C) each) given dlnf (T, C) = d objective / d ln_f's output.
 * Frees every buffer it made.
 */
export async function gpt2Backward(model: Gpt2, ids: number[], dlnfSeed: Float32Array, opts: BackwardOptions = {}): Promise<Float32Array[]> {
  const { gpu, cfg } = model;
  const T = ids.length;
  const { dModel: C, dMlp, nHeads: NH, nLayers: L, layerNormEps: eps } = cfg;
  if (T < 1 || T > cfg.nCtx) throw new Error(`gpt2Backward: ${T} tokens; n_ctx is ${cfg.nCtx}`);
  if (dlnfSeed.length !== T * C) throw new Error(`gpt2Backward: the seed has ${dlnfSeed.length} values, needs T * C = ${T * C}`);
  const made: GPUBuffer[] = [];
  const buf = (label: string, elems: number) => {
    const b = createBuffer(gpu.device, label, elems * 4);
    made.push(b);
    return b;
  };
  const t = (name: string) => model.tensor(name);
  const v = (name: string) => whole(t(name)); // the vectors (biases, norms) are f32 whatever the dtype
  const hook = (name: string, x: GPUBuffer, dy: GPUBuffer, K: number, N: number) => opts.onLinear?.({ name, x, dy, K, N }) ?? [];

  // Forward, keeping each block's activations.
  const steps: Step[] = [];
  const idsBuf = uploadBuffer(gpu.device, 'ids', Uint32Array.from(ids));
  made.push(idsBuf);
  let x = buf('resid_pre.0', T * C); // (T, C)
  steps.push(...embed(gpu, { ids: idsBuf, wte: t('wte.weight'), wpe: t('wpe.weight'), out: x, T, C }));
  const kCache = buf('k', T * C); // (T, C) this layer's keys; reused by every layer
  const vCache = buf('v', T * C);
  const ln = buf('ln', T * C); //    (T, C) scratch: ln_1, then ln_2 (unless onLinear keeps them)
  const keep = (label: string) => (opts.onLinear ? buf(label, T * C) : ln);
  const acts: BlockActs[] = [];
  for (let l = 0; l < L; l++) {
    const h = `h.${l}`;
    const a: BlockActs = {
      x, ln1: keep(`${h}.ln_1`), qkv: buf(`${h}.qkv`, T * 3 * C), att: buf(`${h}.att`, T * C), mid: buf(`${h}.mid`, T * C),
      ln2: keep(`${h}.ln_2`), pre: buf(`${h}.pre`, T * dMlp), fc: buf(`${h}.fc`, T * dMlp),
    };
    steps.push(layernorm(gpu, { inp: x, weight: v(`${h}.ln_1.weight`), bias: v(`${h}.ln_1.bias`), out: a.ln1, T, C, eps }));
    steps.push(matmul(gpu, { a: a.ln1, b: t(`${h}.attn.c_attn.weight`), bias: v(`${h}.attn.c_attn.bias`), out: a.qkv, M: T, N: 3 * C, K: C }));
    steps.push(kvAppend(gpu, { qkv: a.qkv, kCache, vCache, T, layout: gpt2Qkv(C) }));
    steps.push(...attention(gpu, { qkv: a.qkv, kCache, vCache, out: a.att, T, nCtx: T, heads: gpt2Heads(C, NH) }));
    steps.push(gpu.copy(`${h}.mid = x`, x, a.mid, T * C * 4));
    steps.push(matmul(gpu, { a: a.att, b: t(`${h}.attn.c_proj.weight`), bias: v(`${h}.attn.c_proj.bias`), out: a.mid, M: T, N: C, K: C, epilogue: 'residual' }));
    steps.push(layernorm(gpu, { inp: a.mid, weight: v(`${h}.ln_2.weight`), bias: v(`${h}.ln_2.bias`), out: a.ln2, T, C, eps }));
    // c_fc twice, with and without the fused GELU: the backward needs GELU's input and output.
    steps.push(matmul(gpu, { a: a.ln2, b: t(`${h}.mlp.c_fc.weight`), bias: v(`${h}.mlp.c_fc.bias`), out: a.pre, M: T, N: dMlp, K: C }));
    steps.push(matmul(gpu, { a: a.ln2, b: t(`${h}.mlp.c_fc.weight`), bias: v(`${h}.mlp.c_fc.bias`), out: a.fc, M: T, N: dMlp, K: C, epilogue: 'gelu' }));
    x = buf(`resid_pre.${l + 1}`, T * C);
    steps.push(gpu.copy(`${h}.post = mid`, a.mid, x, T * C * 4));
    steps.push(matmul(gpu, { a: a.fc, b: t(`${h}.mlp.c_proj.weight`), bias: v(`${h}.mlp.c_proj.bias`), out: x, M: T, N: C, K: dMlp, epilogue: 'residual' }));
    acts.push(a);
  }

  // Backward, from d objective / d ln_f's output.
  const dlnf = uploadBuffer(gpu.device, 'd ln_f (T, C)', dlnfSeed);
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
    steps.push(...hook(`${h}.mlp.c_proj.weight`, a.fc, dx, dMlp, C));
    steps.push(matmulBackwardInput(gpu, { dy: dx, b: t(`${h}.mlp.c_proj.weight`), da: d4C, M: T, N: C, K: dMlp }));
    steps.push(geluBackward(gpu, { dy: d4C, x: a.pre, dx: dpre, n: T * dMlp }));
    steps.push(...hook(`${h}.mlp.c_fc.weight`, a.ln2, dpre, C, dMlp));
    steps.push(matmulBackwardInput(gpu, { dy: dpre, b: t(`${h}.mlp.c_fc.weight`), da: dC, M: T, N: dMlp, K: C }));
    steps.push(layernormBackward(gpu, { dy: dC, x: a.mid, weight: v(`${h}.ln_2.weight`), dx, stats, T, C, eps, accumulate: true }));
    // Attention: mid = x + attn(ln_1(x) · c_attn) · c_proj.
    steps.push(...hook(`${h}.attn.c_proj.weight`, a.att, dx, C, C));
    steps.push(matmulBackwardInput(gpu, { dy: dx, b: t(`${h}.attn.c_proj.weight`), da: dC, M: T, N: C, K: C }));
    steps.push(...attentionBackward(gpu, { qkv: a.qkv, dout: dC, dqkv, probs, ds, T, NH, HS: C / NH }));
    steps.push(...hook(`${h}.attn.c_attn.weight`, a.ln1, dqkv, C, 3 * C));
    steps.push(matmulBackwardInput(gpu, { dy: dqkv, b: t(`${h}.attn.c_attn.weight`), da: dC, M: T, N: 3 * C, K: C }));
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
