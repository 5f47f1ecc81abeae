// The whole GPT-2 backward on the CPU, in f64: d target / d resid_pre[L] for every layer L, where
// the target is a logit (or a difference of two logits) at one position. It is the forward of
// src/reference/gpt2.ts kept in f64 with its activations saved, then the same ops in reverse.
// Tests only: the yardstick for the GPU backward.
import type { Gpt2Config } from '../../model/config';
import type { Weights } from '../../model/weights';
import type { LogitTarget } from '../../model/backward';
import { attentionBackwardRef, attentionF64, type AttentionShape } from './attention';
import { embedF64 } from './embed';
import { geluBackwardRef, geluF64 } from './gelu';
import { layernormBackwardRef, layernormF64 } from './layernorm';
import { matmulF64 } from '../matmul';
import { matmulBackwardInputRef } from './matmul';

export type { LogitTarget };

/** What one block's backward needs from its forward. */
interface BlockActs {
  x: Float64Array; //   (T, C) resid_pre
  ln1: Float64Array; // (T, C)
  qkv: Float64Array; // (T, 3C)
  att: Float64Array; // (T, C) heads concatenated, before c_proj
  mid: Float64Array; // (T, C) resid_mid
  ln2: Float64Array; // (T, C)
  pre: Float64Array; // (T, 4C) before GELU
  fc: Float64Array; //  (T, 4C) after GELU
}

const heads = (cfg: Gpt2Config, T: number): AttentionShape => ({ T, NH: cfg.nHeads, HS: cfg.dModel / cfg.nHeads, scale: 1 / Math.sqrt(cfg.dModel / cfg.nHeads) });

/**
 * The f64 forward from resid_pre[from] = x (T, C) to the logits (T, V), keeping each block's
 * activations. from = 0 with x = the embedding is the whole model.
 */
export function gpt2ForwardF64(cfg: Gpt2Config, w: Weights, x: Float64Array, T: number, from = 0) {
  const { dModel: C, dMlp, vocabSize: V, layerNormEps: eps } = cfg;
  const g = (n: string) => w.get(n)!;
  const acts: BlockActs[] = [];
  for (let l = from; l < cfg.nLayers; l++) {
    const h = `h.${l}`;
    const ln1 = layernormF64(x, g(`${h}.ln_1.weight`), g(`${h}.ln_1.bias`), T, C, eps);
    const qkv = matmulF64(ln1, g(`${h}.attn.c_attn.weight`), g(`${h}.attn.c_attn.bias`), T, 3 * C, C);
    const att = attentionF64(qkv, heads(cfg, T));
    const mid = add(x, matmulF64(att, g(`${h}.attn.c_proj.weight`), g(`${h}.attn.c_proj.bias`), T, C, C));
    const ln2 = layernormF64(mid, g(`${h}.ln_2.weight`), g(`${h}.ln_2.bias`), T, C, eps);
    const pre = matmulF64(ln2, g(`${h}.mlp.c_fc.weight`), g(`${h}.mlp.c_fc.bias`), T, dMlp, C);
    const fc = geluF64(pre);
    acts.push({ x, ln1, qkv, att, mid, ln2, pre, fc });
    x = add(mid, matmulF64(fc, g(`${h}.mlp.c_proj.weight`), g(`${h}.mlp.c_proj.bias`), T, C, dMlp));
  }
  // The LM head is tied: logits (T, V) = ln_f(x) (T, C) · wteᵀ.
  const lnf = layernormF64(x, g('ln_f.weight'), g('ln_f.bias'), T, C, eps);
  const logits = new Float64Array(T * V);
  const wte = g('wte.weight');
  for (let t = 0; t < T; t++) for (let v = 0; v < V; v++) {
    let acc = 0;
    for (let c = 0; c < C; c++) acc += lnf[t * C + c] * wte[v * C + c];
    logits[t * V + v] = acc;
  }
  return { logits, acts, final: x };
}

export function targetValue(logits: ArrayLike<number>, V: number, tg: LogitTarget): number {
  return logits[tg.position * V + tg.token] - (tg.minusToken != null ? logits[tg.position * V + tg.minusToken] : 0);
}

/** d target / d resid_pre[L] ((T, C) each) for L = 0..nLayers-1, and the f64 logits (T, V). */
export function gpt2BackwardRef(cfg: Gpt2Config, w: Weights, ids: number[], tg: LogitTarget) {
  const T = ids.length;
  const { dModel: C, dMlp, layerNormEps: eps } = cfg;
  const g = (n: string) => w.get(n)!;
  const { logits, acts, final } = gpt2ForwardF64(cfg, w, embedF64(ids, g('wte.weight'), g('wpe.weight'), C), T);

  // d lnf (T, C): only the target's row is non-zero, wte[token] - wte[minusToken].
  const dlnf = new Float64Array(T * C);
  const wte = g('wte.weight');
  for (let c = 0; c < C; c++) {
    dlnf[tg.position * C + c] = wte[tg.token * C + c] - (tg.minusToken != null ? wte[tg.minusToken * C + c] : 0);
  }
  let dx: Float64Array = layernormBackwardRef(dlnf, final, g('ln_f.weight'), T, C, eps).dx;

  const grads: Float64Array[] = new Array(cfg.nLayers);
  for (let l = cfg.nLayers - 1; l >= 0; l--) {
    const h = `h.${l}`;
    const a = acts[l];
    // MLP: post = mid + gelu(ln_2(mid) · c_fc) · c_proj; the residual passes dx through unchanged.
    const dfc = matmulBackwardInputRef(dx, g(`${h}.mlp.c_proj.weight`), T, C, dMlp);
    const dpre = geluBackwardRef(dfc, a.pre);
    const dln2 = matmulBackwardInputRef(dpre, g(`${h}.mlp.c_fc.weight`), T, dMlp, C);
    dx = add(dx, layernormBackwardRef(dln2, a.mid, g(`${h}.ln_2.weight`), T, C, eps).dx);
    // Attention: mid = x + attn(ln_1(x) · c_attn) · c_proj.
    const datt = matmulBackwardInputRef(dx, g(`${h}.attn.c_proj.weight`), T, C, C);
    const dqkv = attentionBackwardRef(datt, a.qkv, heads(cfg, T));
    const dln1 = matmulBackwardInputRef(dqkv, g(`${h}.attn.c_attn.weight`), T, 3 * C, C);
    dx = add(dx, layernormBackwardRef(dln1, a.x, g(`${h}.ln_1.weight`), T, C, eps).dx);
    grads[l] = dx;
  }
  return { logits, grads };
}

function add(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
  return out;
}
