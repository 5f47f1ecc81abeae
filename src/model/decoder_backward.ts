// The modern decoder's backward on the GPU (Gemma 3, Gemma 2, Llama 3, Qwen 3), for "why this
// token": d target / d resid_pre[L] for every layer L, the target a logit (or a difference of two
// logits) at one position, after the final soft-cap when the config has one. A forward that keeps
// what the backward needs (decoder.ts's ops, prefill from position 0), then the same ops in
// reverse, one VJP kernel each. It reads like src/reference/backward/decoder.ts, its CPU twin, and
// mirrors backward.ts (GPT-2). Prefill from position 0 only, on the Decoder's own tensors (matrices
// f32 or f16, vectors f32: storedDtype), zero biases and RoPE tables: the VJP of a linear reads
// its weight as the forward does. Its scratch buffers are its own, freed before it returns.
import { createBuffer, readF32, uploadBuffer, whole, type GpuTensor } from '../gpu/buffers';
import type { Step } from '../gpu/gpu';
import { attention, type AttentionHeads } from '../kernels/attention';
import { attentionBackward } from '../kernels/attention_backward';
import { embed } from '../kernels/embed';
import { glu } from '../kernels/glu';
import { gluBackward } from '../kernels/glu_backward';
import { kvAppend, type QkvLayout } from '../kernels/kv_append';
import { matmul } from '../kernels/matmul';
import { matmulBackwardInput } from '../kernels/matmul_backward';
import { rmsnorm } from '../kernels/rmsnorm';
import { rmsnormBackward } from '../kernels/rmsnorm_backward';
import { rope } from '../kernels/rope';
import { ropeBackward } from '../kernels/rope_backward';
import { unembedRows, type LogitTarget } from './backward';
import type { Decoder } from './decoder';

export type { LogitTarget };

/** What one block's backward needs from its forward. */
interface BlockActs {
  x: GPUBuffer; //      (T, C) resid_pre
  qkvPre: GPUBuffer; // (T, QKV) before QK-norm and RoPE, QKV = (NH + 2 NKV) HS
  qkv: GPUBuffer; //    (T, QKV) after
  o: GPUBuffer; //      (T, C) attention's output projection before the sandwich norm (else unused: att)
  mid: GPUBuffer; //    (T, C) resid_mid
  gateUp: GPUBuffer; // (T, 2F)
  down: GPUBuffer; //   (T, C) the MLP's output projection before the sandwich norm (else unused: att)
}

/**
 * d target / d resid_pre[L] ((T, C) each, L = 0..nLayers-1) for the prompt `ids`, on `model`'s own
 * tensors. Leaves the model's KV caches and plans alone; frees every buffer it made.
 */
export async function decoderGradients(model: Decoder, ids: number[], tg: LogitTarget): Promise<Float32Array[]> {
  const { gpu, cfg } = model;
  const T = ids.length;
  const { dModel: C, nHeads: NH, nKvHeads: NKV, dHead: HS, dMlp: F, nLayers: L, vocabSize: V, rmsNormEps: eps, normOffset: offset } = cfg;
  const QKV = (NH + 2 * NKV) * HS;
  if (T < 1 || T > cfg.nCtx) throw new Error(`decoderGradients: ${T} tokens; n_ctx is ${cfg.nCtx}`);
  if (tg.position < 0 || tg.position >= T) throw new Error(`decoderGradients: target position ${tg.position} is outside the prompt (T=${T})`);
  const targets: Array<[number, number]> = [[tg.token, 1], ...(tg.minusToken != null ? [[tg.minusToken, -1] as [number, number]] : [])];
  for (const [tok] of targets) if (!(Number.isInteger(tok) && tok >= 0 && tok < V)) throw new Error(`decoderGradients: token ${tok} is outside the vocabulary (${V})`);
  const t = (name: string): GpuTensor => model.tensor(name);
  const v = (name: string): GPUBuffer => {
    const x = t(name);
    if (x.dtype !== 'f32') throw new Error(`decoderGradients: ${name} is ${x.dtype}; the norm kernels read f32 vectors`);
    return whole(x);
  };
  // The VJP of each linear, da = dy · Wᵀ, reads an f16 weight only with N % 4 == 0 (vec4 blocks).
  for (let l = 0; l < L; l++) {
    for (const [name, N] of [['qkv', QKV], ['o', C], ['gate_up', 2 * F], ['down', C]] as const) {
      const w = t(`layers.${l}.${name}`);
      if (w.dtype !== 'f32' && N % 4 !== 0) {
        throw new Error(`decoderGradients: layers.${l}.${name} is ${w.dtype} with ${N} output columns, not a multiple of 4; its backward needs f32 weights here (load the model as f32)`);
      }
    }
  }
  const made: GPUBuffer[] = [];
  const buf = (label: string, elems: number) => {
    const b = createBuffer(gpu.device, label, elems * 4);
    made.push(b);
    return b;
  };
  const bias = (name: string, N: number) => model.bias(name, N);
  const table = (l: number) => model.ropeTableOf(l); // (n_ctx, HS/2, 2), read at positions 0..T-1
  const norm = (inp: GPUBuffer, name: string, out: GPUBuffer, addTo = false) => rmsnorm(gpu, { inp, weight: v(name), out, T, C, eps, offset, addTo, label: name });
  const heads = (l: number): AttentionHeads => ({ NH, NKV, HS, qStride: QKV, window: cfg.layers[l].window, scale: cfg.attnScale, softcap: cfg.attnSoftcap });
  const qkNorm = (l: number) => (cfg.qkNorm ? { weight: v(`layers.${l}.qk_norm`), eps, offset } : undefined);
  const layout: QkvLayout = { width: NKV * HS, stride: QKV, kOffset: NH * HS };

  // Forward, keeping each block's activations.
  const steps: Step[] = [];
  const idsBuf = uploadBuffer(gpu.device, 'ids', Uint32Array.from(ids));
  made.push(idsBuf);
  let x = buf('resid_pre.0', T * C); // (T, C)
  steps.push(...embed(gpu, { ids: idsBuf, wte: t('embed'), wpe: null, out: x, T, C, scale: cfg.embedScale }));
  const kCache = buf('k', T * NKV * HS); // (T, NKV HS) this layer's keys; reused by every layer
  const vCache = buf('v', T * NKV * HS);
  const ln = buf('ln', T * C); //         (T, C) scratch: input_layernorm, then the MLP's input norm
  const att = buf('att', T * NH * HS); //  (T, NH HS) heads concatenated, before o
  const m = buf('mlp', T * F); //          (T, F) act(gate) * up
  const acts: BlockActs[] = [];
  for (let l = 0; l < L; l++) {
    const p = `layers.${l}.`;
    const sw = cfg.sandwichNorms;
    const a: BlockActs = {
      x, qkvPre: buf(`${p}qkv_pre`, T * QKV), qkv: buf(`${p}qkv`, T * QKV), o: sw ? buf(`${p}o`, T * C) : att,
      mid: buf(`${p}mid`, T * C), gateUp: buf(`${p}gate_up`, T * 2 * F), down: sw ? buf(`${p}down`, T * C) : att,
    };
    steps.push(norm(x, `${p}input_layernorm`, ln));
    steps.push(matmul(gpu, { a: ln, b: t(`${p}qkv`), bias: bias(`${p}qkv.bias`, QKV), out: a.qkvPre, M: T, N: QKV, K: C }));
    steps.push(gpu.copy(`${p}qkv = qkv_pre`, a.qkvPre, a.qkv, T * QKV * 4));
    steps.push(rope(gpu, { qkv: a.qkv, table: table(l), T, NH, NKV, HS, stride: QKV, qkNorm: qkNorm(l), label: `${p}rope` }));
    steps.push(kvAppend(gpu, { qkv: a.qkv, kCache, vCache, T, layout }));
    steps.push(...attention(gpu, { qkv: a.qkv, kCache, vCache, out: att, T, nCtx: T, heads: heads(l), label: `${p}attn` }));
    steps.push(gpu.copy(`${p}mid = x`, x, a.mid, T * C * 4));
    if (sw) {
      steps.push(matmul(gpu, { a: att, b: t(`${p}o`), bias: bias(`${p}o.bias`, C), out: a.o, M: T, N: C, K: NH * HS }));
      steps.push(norm(a.o, `${p}post_attention_layernorm`, a.mid, true));
    } else steps.push(matmul(gpu, { a: att, b: t(`${p}o`), bias: bias(`${p}o.bias`, C), out: a.mid, M: T, N: C, K: NH * HS, epilogue: 'residual' }));
    steps.push(norm(a.mid, sw ? `${p}pre_feedforward_layernorm` : `${p}post_attention_layernorm`, ln));
    steps.push(matmul(gpu, { a: ln, b: t(`${p}gate_up`), bias: bias(`${p}gate_up.bias`, 2 * F), out: a.gateUp, M: T, N: 2 * F, K: C }));
    steps.push(glu(gpu, { gateUp: a.gateUp, out: m, T, D: F, act: cfg.act }));
    x = buf(`resid_pre.${l + 1}`, T * C);
    steps.push(gpu.copy(`${p}post = mid`, a.mid, x, T * C * 4));
    if (sw) {
      steps.push(matmul(gpu, { a: m, b: t(`${p}down`), bias: bias(`${p}down.bias`, C), out: a.down, M: T, N: C, K: F }));
      steps.push(norm(a.down, `${p}post_feedforward_layernorm`, x, true));
    } else steps.push(matmul(gpu, { a: m, b: t(`${p}down`), bias: bias(`${p}down.bias`, C), out: x, M: T, N: C, K: F, epilogue: 'residual' }));
    acts.push(a);
  }
  const normed = buf('norm', T * C); // (T, C) the final norm's output
  steps.push(norm(x, 'norm', normed));

  try {
    gpu.writeStep(0);
    gpu.run(steps, 'decoder backward: forward');
    // The seed: logits = cap tanh(z / cap), z = norm(x) · headᵀ, so d target / d norm(x) is zero
    // but the target's row, Σ ± (1 - tanh²(z_tok / cap)) head[tok]: the soft-cap's derivative
    // needs the target's raw logits, two dot products over the read-back row.
    const head = await unembedRows(gpu, model.unembed, targets.map(([tok]) => tok), C); // (n, C) f32, no embed scale
    const row = await readF32(gpu.device, normed, C, tg.position * C);
    const seed = new Float32Array(T * C); // (T, C)
    const cap = cfg.finalSoftcap;
    targets.forEach(([, sign], i) => {
      let z = 0;
      for (let c = 0; c < C; c++) z += row[c] * head[i * C + c];
      const f = cap > 0 ? 1 - Math.tanh(z / cap) ** 2 : 1;
      for (let c = 0; c < C; c++) seed[tg.position * C + c] += sign * f * head[i * C + c];
    });
    const dnorm = uploadBuffer(gpu.device, 'd norm', seed);
    made.push(dnorm);
    const back = backwardSteps(dnorm, x);
    gpu.run(back.steps, 'decoder backward');
    steps.push(...back.steps); // released below
    return await Promise.all(back.grads.map((g) => readF32(gpu.device, g, T * C)));
  } finally {
    gpu.release(steps);
    for (const b of made) b.destroy();
  }

  // The backward, block by block in reverse; it reads like the CPU twin's loop.
  function backwardSteps(dnorm: GPUBuffer, final: GPUBuffer) {
    const out: Step[] = [];
    const normBack = (dy: GPUBuffer, x: GPUBuffer, name: string, dx: GPUBuffer, accumulate = false) =>
      rmsnormBackward(gpu, { dy, x, weight: v(name), dx, T, C, eps, offset, accumulate, label: `d ${name}` });
    const dx = buf('d resid', T * C); //       (T, C) the residual stream's gradient
    const dC = buf('d (T, C)', T * C); //      scratch: d down / d o (sandwich), d h, d ln
    const dF = buf('d mlp', T * F); //         (T, F)
    const dGU = buf('d gate_up', T * 2 * F); // (T, 2F)
    const dAtt = buf('d att', T * NH * HS); // (T, NH HS)
    const dqkv = buf('d qkv', T * QKV); //     (T, QKV)
    const probs = buf('probs', NH * T * T); // (NH, T, T)
    const ds = buf('d scores', NH * T * T); // (NH, T, T)
    const grads = Array.from({ length: L }, (_, l) => buf(`d resid_pre.${l}`, T * C));
    out.push(normBack(dnorm, final, 'norm', dx));
    for (let l = L - 1; l >= 0; l--) {
      const p = `layers.${l}.`;
      const a = acts[l];
      const sw = cfg.sandwichNorms;
      // MLP: x = mid + [post_feedforward norm](down(act(gate h) * up h)), h = norm(mid).
      if (sw) out.push(normBack(dx, a.down, `${p}post_feedforward_layernorm`, dC));
      out.push(matmulBackwardInput(gpu, { dy: sw ? dC : dx, b: t(`${p}down`), da: dF, M: T, N: C, K: F }));
      out.push(gluBackward(gpu, { dout: dF, gateUp: a.gateUp, dgateUp: dGU, T, D: F, act: cfg.act }));
      out.push(matmulBackwardInput(gpu, { dy: dGU, b: t(`${p}gate_up`), da: dC, M: T, N: 2 * F, K: C }));
      out.push(normBack(dC, a.mid, sw ? `${p}pre_feedforward_layernorm` : `${p}post_attention_layernorm`, dx, true));
      // Attention: mid = x + [post_attention norm](o(attn(rope(qkv(norm(x)))))).
      if (sw) out.push(normBack(dx, a.o, `${p}post_attention_layernorm`, dC));
      out.push(matmulBackwardInput(gpu, { dy: sw ? dC : dx, b: t(`${p}o`), da: dAtt, M: T, N: C, K: NH * HS }));
      const hd = heads(l);
      out.push(...attentionBackward(gpu, { qkv: a.qkv, dout: dAtt, dqkv, probs, ds, T, NH, NKV, HS, stride: QKV, window: hd.window, softcap: hd.softcap, scale: hd.scale }));
      out.push(ropeBackward(gpu, { dqkv, qkv: a.qkvPre, table: table(l), T, NH, NKV, HS, stride: QKV, qkNorm: qkNorm(l) }));
      out.push(matmulBackwardInput(gpu, { dy: dqkv, b: t(`${p}qkv`), da: dC, M: T, N: QKV, K: C }));
      out.push(normBack(dC, a.x, `${p}input_layernorm`, dx, true));
      out.push(gpu.copy(`d resid_pre.${l}`, dx, grads[l], T * C * 4));
    }
    return { steps: out, grads };
  }
}
