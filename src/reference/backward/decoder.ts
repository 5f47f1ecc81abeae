// The whole modern-decoder backward (Gemma 3, Gemma 2, Llama 3, Qwen 3) on the CPU, in f64:
// d target / d resid_pre[L] for every layer L, the target a (soft-capped) logit or a difference
// of two at one position. The forward of src/model/decoder.ts kept in f64 with its activations
// saved, then the same ops in reverse. Tests only: the yardstick for src/model/decoder_backward.ts.
// Weights are the decoder's GPU layout (decoderGpuShapes: linears [in, out], qkv and gate_up fused).
import { parseDecoderConfig, ropeInvFreq, type DecoderConfig } from '../../model/decoder_config';
import { decoderGpuShapes, decoderTensors } from '../../model/decoder_prep';
import { Rng } from '../../model/rng';
import type { LogitTarget } from '../../model/backward';
import { ropeTable } from '../../model/rope';
import { decoderTensorNames } from '../../model/decoder_weights';
import { toFloat32, type Safetensors } from '../../model/safetensors';
import { inMemory } from '../../model/tensor_rows';
import { attentionBackwardRef, attentionF64, type AttentionShape } from './attention';
import { gluBackwardRef, gluF64 } from './glu';
import { matmulF64 } from '../matmul';
import { matmulBackwardInputRef } from './matmul';
import { rmsnormBackwardRef, rmsnormF64 } from './rmsnorm';
import { ropeBackwardRef, ropeF64, type RopeShape } from './rope';

export type { LogitTarget };
type W = ReadonlyMap<string, Float32Array>;

/** What one block's backward needs from its forward. */
interface BlockActs {
  x: Float64Array; //      (T, C) resid_pre
  qkvPre: Float64Array; // (T, QKV) before QK-norm and RoPE, QKV = (NH + 2 NKV) HS
  qkv: Float64Array; //    (T, QKV) after
  o: Float64Array; //      (T, C) attention's output projection (before a sandwich norm)
  mid: Float64Array; //    (T, C) resid_mid
  gateUp: Float64Array; // (T, 2F)
  down: Float64Array; //   (T, C) the MLP's output projection (before a sandwich norm)
}

function shapes(cfg: DecoderConfig, w: W, l: number, T: number): { att: AttentionShape; rope: RopeShape } {
  const { nHeads: NH, nKvHeads: NKV, dHead: HS } = cfg;
  const stride = (NH + 2 * NKV) * HS;
  const layer = cfg.layers[l];
  const qkNorm = cfg.qkNorm ? { weight: w.get(`layers.${l}.qk_norm`)!, eps: cfg.rmsNormEps, offset: cfg.normOffset } : undefined;
  return {
    att: { T, NH, NKV, HS, stride, scale: cfg.attnScale, window: layer.window, softcap: cfg.attnSoftcap },
    rope: { T, NH, NKV, HS, stride, table: ropeTable(ropeInvFreq(layer.rope, HS), T), qkNorm },
  };
}

/** The decoder's GPU-layout tensors (decoderGpuShapes) as f32, from one safetensors checkpoint: for tests and small models. */
export async function decoderWeightsF32(cfg: DecoderConfig, st: Safetensors): Promise<Map<string, Float32Array>> {
  const names = decoderTensorNames(cfg, st.tensors.keys());
  const out = new Map<string, Float32Array>();
  const get = (name: string) => {
    const { hub, shape } = names.get(name)!;
    return inMemory(shape, toFloat32(st.tensors.get(hub)!));
  };
  for (const { name, rows } of decoderTensors(cfg, get)) out.set(name, Float32Array.from(await rows.read()));
  return out;
}

const add = (a: Float64Array, b: Float64Array) => a.map((v, i) => v + b[i]);

/** The f64 forward from resid_pre[from] = x (T, C): capped logits (T, V), each block's activations, the final residual. */
export function decoderForwardF64(cfg: DecoderConfig, w: W, x: Float64Array, T: number, from = 0) {
  const { dModel: C, nHeads: NH, nKvHeads: NKV, dHead: HS, dMlp: F, vocabSize: V, rmsNormEps: eps, normOffset: off } = cfg;
  const QKV = (NH + 2 * NKV) * HS;
  const g = (n: string) => w.get(n)!;
  const b = (n: string) => w.get(n) ?? null;
  const norm = (v: Float64Array, n: string) => rmsnormF64(v, g(n), T, C, eps, off);
  const acts: BlockActs[] = [];
  for (let l = from; l < cfg.nLayers; l++) {
    const p = `layers.${l}.`;
    const sh = shapes(cfg, w, l, T);
    const qkvPre = matmulF64(norm(x, `${p}input_layernorm`), g(`${p}qkv`), b(`${p}qkv.bias`), T, QKV, C);
    const qkv = ropeF64(qkvPre, sh.rope);
    const o = matmulF64(attentionF64(qkv, sh.att), g(`${p}o`), b(`${p}o.bias`), T, C, NH * HS);
    const mid = add(x, cfg.sandwichNorms ? norm(o, `${p}post_attention_layernorm`) : o);
    const h = norm(mid, cfg.sandwichNorms ? `${p}pre_feedforward_layernorm` : `${p}post_attention_layernorm`);
    const gateUp = matmulF64(h, g(`${p}gate_up`), b(`${p}gate_up.bias`), T, 2 * F, C);
    const down = matmulF64(gluF64(gateUp, T, F, cfg.act), g(`${p}down`), b(`${p}down.bias`), T, C, F);
    acts.push({ x, qkvPre, qkv, o, mid, gateUp, down });
    x = add(mid, cfg.sandwichNorms ? norm(down, `${p}post_feedforward_layernorm`) : down);
  }
  const n = norm(x, 'norm');
  const head = g(cfg.tiedEmbeddings ? 'embed' : 'lm_head'); // (V, C)
  const raw = new Float64Array(T * V);
  for (let t = 0; t < T; t++) for (let v = 0; v < V; v++) {
    let acc = 0;
    for (let c = 0; c < C; c++) acc += n[t * C + c] * head[v * C + c];
    raw[t * V + v] = acc;
  }
  const cap = cfg.finalSoftcap;
  const logits = cap > 0 ? raw.map((z) => cap * Math.tanh(z / cap)) : raw;
  return { logits, raw, acts, final: x };
}

/** resid_pre[0] (T, C) = embed[ids] * embedScale, in f64. */
export function decoderEmbedF64(cfg: DecoderConfig, w: W, ids: number[]): Float64Array {
  const C = cfg.dModel;
  const e = w.get('embed')!;
  const x = new Float64Array(ids.length * C);
  for (let t = 0; t < ids.length; t++) for (let c = 0; c < C; c++) x[t * C + c] = e[ids[t] * C + c] * cfg.embedScale;
  return x;
}

/**
 * d target / d (final norm's output) (T, C): zero but the target's row, Σ ± (1 - tanh²(z / cap))
 * head[token] over the target's tokens (the final soft-cap's derivative folded into the seed;
 * without a cap the factor is 1). raw: the uncapped logits of the target's row, for those tokens.
 */
export function decoderSeed(cfg: DecoderConfig, head: ArrayLike<number>, T: number, tg: LogitTarget, raw: (token: number) => number): Float64Array {
  const C = cfg.dModel;
  const cap = cfg.finalSoftcap;
  const seed = new Float64Array(T * C);
  const terms: Array<[number, number]> = [[tg.token, 1]];
  if (tg.minusToken != null) terms.push([tg.minusToken, -1]);
  for (const [tok, sign] of terms) {
    const f = cap > 0 ? 1 - Math.tanh(raw(tok) / cap) ** 2 : 1;
    for (let c = 0; c < C; c++) seed[tg.position * C + c] += sign * f * head[tok * C + c];
  }
  return seed;
}

/** d target / d resid_pre[L] ((T, C) each) for L = 0..nLayers-1, and the f64 capped logits (T, V). */
export function decoderBackwardRef(cfg: DecoderConfig, w: W, ids: number[], tg: LogitTarget) {
  const T = ids.length;
  const { dModel: C, nHeads: NH, nKvHeads: NKV, dHead: HS, dMlp: F, vocabSize: V, rmsNormEps: eps, normOffset: off } = cfg;
  const QKV = (NH + 2 * NKV) * HS;
  const g = (n: string) => w.get(n)!;
  const normBack = (dy: Float64Array, x: Float64Array, n: string) => rmsnormBackwardRef(dy, x, g(n), T, C, eps, off).dx;
  const { logits, raw, acts, final } = decoderForwardF64(cfg, w, decoderEmbedF64(cfg, w, ids), T);

  const seed = decoderSeed(cfg, g(cfg.tiedEmbeddings ? 'embed' : 'lm_head'), T, tg, (tok) => raw[tg.position * V + tok]);
  let dx = normBack(seed, final, 'norm');
  const grads: Float64Array[] = new Array(cfg.nLayers);
  for (let l = cfg.nLayers - 1; l >= 0; l--) {
    const p = `layers.${l}.`;
    const a = acts[l];
    const sh = shapes(cfg, w, l, T);
    // MLP: x = mid + [post_ff norm](down(act(gate h) * up h)), h = norm(mid).
    const dDown = cfg.sandwichNorms ? normBack(dx, a.down, `${p}post_feedforward_layernorm`) : dx;
    const dm = matmulBackwardInputRef(dDown, g(`${p}down`), T, C, F);
    const dh = matmulBackwardInputRef(gluBackwardRef(dm, a.gateUp, T, F, cfg.act), g(`${p}gate_up`), T, 2 * F, C);
    dx = add(dx, normBack(dh, a.mid, cfg.sandwichNorms ? `${p}pre_feedforward_layernorm` : `${p}post_attention_layernorm`));
    // Attention: mid = x + [post_attention norm](o(attn(rope(qkv(norm(x)))))).
    const dO = cfg.sandwichNorms ? normBack(dx, a.o, `${p}post_attention_layernorm`) : dx;
    const datt = matmulBackwardInputRef(dO, g(`${p}o`), T, C, NH * HS);
    const dqkvPre = ropeBackwardRef(attentionBackwardRef(datt, a.qkv, sh.att), a.qkvPre, sh.rope);
    const dln = matmulBackwardInputRef(dqkvPre, g(`${p}qkv`), T, QKV, C);
    dx = add(dx, normBack(dln, a.x, `${p}input_layernorm`));
    grads[l] = dx;
  }
  return { logits, grads };
}

/** logits[position, token] - logits[position, minusToken], on the capped logits (T, V). */
export function decoderTargetValue(logits: ArrayLike<number>, V: number, tg: LogitTarget): number {
  return logits[tg.position * V + tg.token] - (tg.minusToken != null ? logits[tg.position * V + tg.minusToken] : 0);
}

/**
 * A tiny decoder of `family` with random weights (the decoder's GPU layout), its config shrunk
 * from the fixture's: C=12, 4 heads over 2 KV heads of 6, F=12, V=11, 2 layers (sliding window 3,
 * then full), soft-caps made small enough to bend (Gemma 2), and for Llama an untied head and
 * biases, so each path of the backward has something to do.
 */
export function randomDecoder(configText: string, family: string, seed: number): { cfg: DecoderConfig; w: Map<string, Float32Array> } {
  const raw = JSON.parse(configText);
  Object.assign(raw, {
    hidden_size: 12, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 6, intermediate_size: 12, vocab_size: 11,
  });
  if (family.startsWith('gemma')) Object.assign(raw, { sliding_window: 3, layer_types: ['sliding_attention', 'full_attention'], query_pre_attn_scalar: 5 });
  if (family === 'gemma2') Object.assign(raw, { attn_logit_softcapping: 1.5, final_logit_softcapping: 2 });
  if (family === 'llama') Object.assign(raw, { tie_word_embeddings: false, attention_bias: true, mlp_bias: true });
  if (family === 'qwen3') Object.assign(raw, { layer_types: ['full_attention', 'full_attention'] });
  const cfg = parseDecoderConfig(JSON.stringify(raw));
  const rng = new Rng(seed);
  const w = new Map<string, Float32Array>();
  for (const [name, shape] of decoderGpuShapes(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const norm = shape.length === 1 && !name.endsWith('.bias');
    w.set(name, rng.array(n, norm ? 0.3 : name.endsWith('.bias') ? 0.2 : 0.5).map((v) => (norm && cfg.normOffset === 0 ? 1 + v : v)));
  }
  return { cfg, w };
}
