// The benchmark's measuring code, free of the DOM: shared by the browser page (bench.ts) and the
// Node entry (node.ts, Dawn). Copy-kernel bandwidth, GPT-2-small-shape random weights, prefill
// and decode timing, the per-op profile, SAE encode + top-k timing and the roofline ratio. GPU
// work is timed with submit + onSubmittedWorkDone (or the forward's own readback), after a
// warm-up, as the median of several runs.
import type { Gpu } from '../../src/gpu/gpu';
import { createBuffer, uploadBuffer } from '../../src/gpu/buffers';
import { chooseWeightDtype } from '../../src/gpu/device';
import type { WeightDtype } from '../../src/gpu/f16';
import { copy } from '../../src/kernels/copy';
import { expectedShapes, parseGpt2Config, type Gpt2Config } from '../../src/model/config';
import { Gpt2 } from '../../src/model/gpt2';
import { argmax } from '../../src/model/sampling';
import { decodeBytesPerStep, type Weights } from '../../src/model/weights';
import { Sae } from '../../src/sae/sae';
import type { SaeConfig, SaeWeights } from '../../src/sae/formats';

export type Log = (s: string) => void;

/** The middle value of timings (the upper middle for an even count). */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export const ROOFLINE_DEFINITION =
  'decode ms/step ÷ (weight bytes read per step ÷ copy-kernel bandwidth, read+write bytes per second, mean of the measurements before and after)';

/** Bytes read + written per second by the copy kernel over 128 MB, median of 5 after a warm-up. */
export async function copyBandwidth(gpu: Gpu): Promise<number> {
  const n = 32 * 1024 * 1024; // 128 MB each way
  const src = createBuffer(gpu.device, 'bench src', n * 4);
  const dst = createBuffer(gpu.device, 'bench dst', n * 4);
  const step = copy(gpu, { src, dst, n });
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    gpu.run([step]);
    await gpu.device.queue.onSubmittedWorkDone();
    if (i > 0) times.push(performance.now() - t0);
  }
  src.destroy();
  dst.destroy();
  gpu.release([step]);
  return (2 * n * 4) / (median(times) / 1000) / 1e9;
}

/** GPT-2 small: 12 layers, d_model 768, 12 heads, vocab 50257, context 1024. */
export const gpt2SmallConfig = (): Gpt2Config =>
  parseGpt2Config(JSON.stringify({ model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12 }));

/** `cfg`'s shapes with cheap deterministic pseudo-random weights (values do not matter for speed). */
export function randomWeights(cfg: Gpt2Config): Weights {
  const w: Weights = new Map();
  let s = 12345;
  for (const [name, shape] of expectedShapes(cfg)) {
    const a = new Float32Array(shape.reduce((x, y) => x * y, 1));
    const isGain = /ln_\d\.weight|ln_f\.weight/.test(name);
    for (let i = 0; i < a.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      a[i] = isGain ? 1 : (s / 4294967296 - 0.5) * 0.04;
    }
    w.set(name, a);
  }
  return w;
}

/** Uploads the weights as `dtype` and compiles the forward's pipelines. */
export async function loadModel(gpu: Gpu, name: string, cfg: Gpt2Config, weights: Weights, dtype: WeightDtype, log: Log): Promise<Gpt2> {
  log(`${name}: uploading (${cfg.nLayers} layers, C=${cfg.dModel}, V=${cfg.vocabSize}, ${dtype} weights)`);
  const model = new Gpt2(gpu, cfg, weights, dtype);
  await model.warm();
  return model;
}

/** Milliseconds per op kind for one T-token forward, each dispatch timed alone (so it adds overhead). */
export async function profile(gpu: Gpu, model: Gpt2, T: number, log: Log): Promise<Record<string, number>> {
  const plan = model.plan(T, [], 'last');
  const byOp: Record<string, number> = {};
  gpu.writeStep(0);
  for (const s of plan.steps) {
    const t0 = performance.now();
    gpu.run([s]);
    await gpu.device.queue.onSubmittedWorkDone();
    const op = s.label.replace(/^h\.\d+\./, '').replace(/\[\d+\]$/, '');
    byOp[op] = (byOp[op] ?? 0) + performance.now() - t0;
  }
  const total = Object.values(byOp).reduce((a, b) => a + b, 0);
  log(`  profile T=${T}: ` + Object.entries(byOp).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ') + ` (total ${total.toFixed(0)} ms)`);
  return byOp;
}

/** Median ms of `runs` forward passes of `ids` from an empty cache, after one warm-up. */
export async function timeForward(model: Gpt2, ids: number[], runs: number, log?: Log, label?: string): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i <= runs; i++) {
    model.reset();
    const t0 = performance.now();
    await model.forward(ids, { logits: 'last' });
    const dt = performance.now() - t0;
    if (i > 0) ms.push(dt);
    if (log && label) log(`  ${label}: ${dt.toFixed(0)} ms${i ? '' : ' (warm-up)'}`);
  }
  return median(ms);
}

export interface BenchModelOptions {
  log: Log;
  /** The prompt of the one-forward-pass figure (the playground's latency is compared with it). */
  latencyIds?: number[];
  /** Timed runs after the warm-up: prefill T=128 (2), decode steps (32), prompt forwards (4). */
  prefillRuns?: number;
  decodeSteps?: number;
  forwardRuns?: number;
  /** Also profile the T=128 prefill op by op. */
  profilePrefill?: boolean;
}

export type ModelResult = Awaited<ReturnType<typeof benchModel>>;

/** Prefill, decode and a prompt's forward pass of a warmed model (loadModel); the roofline floor is filled in by applyRoofline(). */
export async function benchModel(gpu: Gpu, name: string, model: Gpt2, opts: BenchModelOptions) {
  const { log, prefillRuns = 2, decodeSteps: steps = 32, forwardRuns = 4 } = opts;
  const { cfg, weightDtype: dtype } = model;
  const T = Math.min(128, cfg.nCtx);
  const ids = Array.from({ length: T }, (_, i) => (i * 7919) % cfg.vocabSize);
  const prefillMs = await timeForward(model, ids, prefillRuns, log, `prefill T=${T}`);
  model.reset();
  let logits = (await model.forward(ids.slice(0, 8), { logits: 'last' })).logits;
  logits = (await model.forward([argmax(logits)], { logits: 'last' })).logits; // warm-up step
  const stepMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    logits = (await model.forward([argmax(logits)], { logits: 'last' })).logits;
    stepMs.push(performance.now() - t0);
  }
  const promptIds = opts.latencyIds ?? ids.slice(0, 12);
  const fwdMs = await timeForward(model, promptIds, forwardRuns);
  const profileDecode = await profile(gpu, model, 1, log);
  const profilePrefill = opts.profilePrefill ? await profile(gpu, model, T, log) : undefined;
  const msPerStep = median(stepMs);
  log(`  decode: ${msPerStep.toFixed(1)} ms/step`);
  return {
    name,
    weightDtype: dtype,
    /** Whether 'auto' would pick this dtype on this adapter (f16 needs shader-f16). */
    autoChoice: chooseWeightDtype('auto', gpu.ctx.features) === dtype,
    config: cfg,
    prefill: { T, runs: prefillRuns, ms: prefillMs, tokensPerSec: T / (prefillMs / 1000) },
    decode: {
      steps,
      contextFrom: 10,
      msPerStep,
      meanMsPerStep: stepMs.reduce((a, b) => a + b, 0) / steps,
      tokensPerSec: 1000 / msPerStep,
      bytesPerStep: decodeBytesPerStep(cfg, dtype),
      floorMs: NaN,
      rooflineRatio: NaN,
    },
    profileMs: { decode: profileDecode, prefill: profilePrefill },
    forwardPromptTokens: promptIds.length,
    forwardPromptMs: fwdMs,
  };
}

/** Fills in each model's decode floor (bytes per step at the copy bandwidth) and roofline ratio. */
export function applyRoofline(models: ModelResult[], copyGBps: number, log: Log): void {
  for (const m of models) {
    m.decode.floorMs = floorMs(m.decode.bytesPerStep, copyGBps);
    m.decode.rooflineRatio = m.decode.msPerStep / m.decode.floorMs;
    log(`${m.name}: decode floor ${m.decode.floorMs.toFixed(1)} ms, roofline ratio ${m.decode.rooflineRatio.toFixed(2)}`);
  }
}

/** Milliseconds to stream `bytes` at the copy kernel's bandwidth. */
export const floorMs = (bytes: number, copyGBps: number) => (bytes / (copyGBps * 1e9)) * 1000;

/** SAE encode + top-k per token at GPT-2 small's residual (C=768) and S=24576, as res-jb has. */
export async function benchSae(gpu: Gpu, decodeMsPerStep: number, dtype: WeightDtype, log: Log, runs = 5) {
  const [C, S, K] = [768, 24576, 32];
  let seed = 99;
  const rand = (n: number, scale: number) => Float32Array.from({ length: n }, () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return (seed / 4294967296 - 0.5) * scale;
  });
  const cfg: SaeConfig = {
    architecture: 'standard', dIn: C, dSae: S, k: null, applyBDecToInput: true, normalizeActivations: 'none',
    normScalingFactor: null, hookName: 'blocks.6.hook_resid_pre', modelName: null, centerWritingWeights: true,
  };
  const weights: SaeWeights = new Map([
    ['W_enc', rand(C * S, 0.2)], ['W_dec', rand(S * C, 0.2)], ['b_dec', rand(C, 0.1)], ['b_enc', rand(S, 0.2).map((v) => v - 0.15)],
  ]);
  const sae = new Sae(gpu, cfg, weights, dtype);
  const out: Record<string, number> = {};
  for (const T of [1, 64]) {
    const acts = sae.allocActs(T, K);
    const resid = uploadBuffer(gpu.device, 'bench resid', rand(T * C, 4));
    const encodeOnly = sae.steps(resid, acts, T, K, null).filter((s) => /^sae(_norm|\.encode|_encode|_topk)/.test(s.label));
    const times: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const t0 = performance.now();
      gpu.run(encodeOnly);
      await gpu.device.queue.onSubmittedWorkDone();
      if (i > 0) times.push(performance.now() - t0);
    }
    out[`T${T}`] = median(times) / T;
    log(`  SAE encode + top-k, W_enc ${dtype}, T=${T}: ${(median(times) / T).toFixed(1)} ms/token (${(median(times) / T / decodeMsPerStep).toFixed(3)} of a decode step)`);
    Object.values(acts).forEach((b) => b.destroy());
    resid.destroy();
  }
  sae.destroy();
  return {
    encDtype: dtype,
    dSae: S, dIn: C, k: K,
    runs,
    msPerTokenDecode: out.T1,
    msPerTokenBatched64: out.T64,
    ratioToDecodeStep: out.T1 / decodeMsPerStep,
    ratioToDecodeStepBatched64: out.T64 / decodeMsPerStep,
  };
}
