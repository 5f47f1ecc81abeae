// The benchmark's measuring code, free of the DOM: shared by the browser page (bench.ts) and the
// Node entry (node.ts, Dawn). Copy-kernel bandwidth, random weights at GPT-2 small's and at
// Gemma 3's (270m, 1b) shapes, prefill and decode timing, the per-op profile, SAE encode + top-k
// timing and the roofline ratio. GPU work is timed with submit + onSubmittedWorkDone (or the
// forward's own readback), after a warm-up, as the median of several runs.
import type { Gpu } from '../../src/gpu/gpu';
import { createBuffer, rowsPerPart, STORAGE, uploadBuffer, type GpuTensor } from '../../src/gpu/buffers';
import { chooseWeightDtype } from '../../src/gpu/device';
import { DTYPE_BYTES, toHalfBits, type WeightDtype } from '../../src/gpu/f16';
import { copy } from '../../src/kernels/copy';
import { expectedShapes, parseGpt2Config, type Gpt2Config } from '../../src/model/config';
import { Decoder } from '../../src/model/decoder';
import { parseDecoderConfig, type DecoderConfig } from '../../src/model/decoder_config';
import { decoderGpuShapes } from '../../src/model/decoder_prep';
import { GEMMA3_1B, GEMMA3_270M } from '../../src/model/hub_configs';
import { Gpt2 } from '../../src/model/gpt2';
import { GpuSampler } from '../../src/model/gpu_sampler';
import { decodeBytesPerStep, storedDtype, type Weights } from '../../src/model/weights';
import { Sae } from '../../src/sae/sae';
import type { SaeConfig, SaeWeights } from '../../src/sae/formats';

export type Log = (s: string) => void;

/** Either forward the benchmark times: GPT-2 or the modern decoder (both Transformers). */
export type BenchedModel = Gpt2 | Decoder;

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

/**
 * Gemma-3-270m's config.json (google/gemma-3-270m; /work/shared/DESIGN.md's target shapes): C 640,
 * 18 layers, 4 heads / 1 KV head of 256, d_mlp 2048, vocab 262144, sliding window 512 on 5 of 6
 * layers, QK-norm, tied head, RoPE theta 1e4 local / 1e6 global.
 */
/** The decoder shapes the benchmark runs: `key` is what BENCH_ONLY matches (a prefix: `gemma` is both). */
export const DECODER_SHAPES = [
  // f32 too at 270m (1.1 GB): the storage `auto` picks on an adapter without shader-f16
  { key: 'gemma-270m', label: 'Gemma-3-270m', config: GEMMA3_270M, dtypes: ['f16', 'f32'] },
  // f16 only: f32 would be 4 GB, more than a browser tab holds
  { key: 'gemma-1b', label: 'Gemma-3-1b', config: GEMMA3_1B, dtypes: ['f16'] },
] as const;

/** A decoder run's name: shape, storage, and whether `auto` would pick that storage here. */
export function decoderRunName(gpu: Gpu, label: string, dtype: WeightDtype): string {
  const note = chooseWeightDtype('auto', gpu.ctx.features) === dtype ? '' : `, not the automatic choice here${gpu.ctx.features.shaderF16 ? '' : ': no shader-f16'}`;
  return `${label} shapes (random weights, ${dtype}${note})`;
}

export const decoderConfig = (raw: object): DecoderConfig => parseDecoderConfig(JSON.stringify(raw));

/**
 * Bytes of weights one decoder step reads: every tensor once, the LM head (embed when tied) in
 * full, plus one embedding row (an untied model's embed is read only there). Matrices are
 * stored as `dtype`, vectors (norms, biases) as f32. The KV cache's reads are not counted.
 */
export function decoderBytesPerStep(cfg: DecoderConfig, dtype: WeightDtype = 'f32'): number {
  let n = cfg.dModel * DTYPE_BYTES[dtype]; // one embedding row
  for (const [name, shape] of decoderGpuShapes(cfg)) {
    if (name === 'embed' && !cfg.tiedEmbeddings) continue;
    n += shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[storedDtype(shape, dtype)];
  }
  return n;
}

/** Weight bytes one decode step reads, for either family (see decodeBytesPerStep, decoderBytesPerStep). */
export const weightBytesPerStep = (cfg: Gpt2Config | DecoderConfig, dtype: WeightDtype): number =>
  cfg.modelType === 'decoder' ? decoderBytesPerStep(cfg, dtype) : decodeBytesPerStep(cfg, dtype);

/**
 * `cfg`'s tensors with cheap deterministic pseudo-random values, made straight into GPU buffers
 * one part at a time (mapped at creation, written in their storage dtype, unmapped): no f32 copy
 * of a matrix is ever held, so Gemma-3-1b's 1e9 weights need only one part's mapping in memory.
 * Matrices: uniform in ±0.02. Norm weights: near 0 for Gemma's (1 + w) norms, near 1 otherwise.
 * Split along dim 0 as uploadTensor splits (parts of at most the binding limit).
 */
export function* randomDecoderTensors(gpu: Gpu, cfg: DecoderConfig, dtype: WeightDtype): Generator<GpuTensor> {
  let s = 12345;
  // 4096 halves spread over ±0.02 (no subnormals), indexed by the generator's top 12 bits
  const halves = Uint16Array.from({ length: 4096 }, (_, k) => toHalfBits(((k + 0.5) / 4096 - 0.5) * 0.04));
  for (const [name, shape] of decoderGpuShapes(cfg)) {
    const dt = storedDtype(shape, dtype);
    const isNorm = shape.length === 1 && !name.endsWith('.bias');
    const [base, spread] = isNorm ? [1 - cfg.normOffset, 0.02] : [0, 0.04];
    const rows = shape[0];
    const rowLen = shape.slice(1).reduce((a, b) => a * b, 1);
    const per = rowsPerPart(shape, gpu.ctx.maxBinding, dt);
    const parts: GpuTensor['parts'] = [];
    for (let row0 = 0; row0 < rows; row0 += per) {
      const nRows = Math.min(per, rows - row0);
      const n = nRows * rowLen;
      const label = parts.length || row0 + nRows < rows ? `${name}[${row0}:${row0 + nRows}]` : name;
      const bytes = Math.max(4, Math.ceil((n * DTYPE_BYTES[dt]) / 4) * 4);
      const buffer = gpu.device.createBuffer({ label, size: bytes, usage: STORAGE, mappedAtCreation: true });
      const range = buffer.getMappedRange();
      if (dt === 'f16') {
        const h = new Uint16Array(range, 0, n);
        for (let i = 0; i < n; i++) {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          h[i] = halves[s >>> 20];
        }
      } else {
        const f = new Float32Array(range, 0, n);
        for (let i = 0; i < n; i++) {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          f[i] = base + (s / 4294967296 - 0.5) * spread;
        }
      }
      buffer.unmap();
      parts.push({ buffer, row0, rows: nRows });
    }
    yield { name, shape, dtype: dt, parts };
  }
}

/** A Decoder with `cfg`'s shapes and random weights stored as `dtype` (randomDecoderTensors), its pipelines compiled. */
export async function loadDecoder(gpu: Gpu, name: string, cfg: DecoderConfig, dtype: WeightDtype, log: Log): Promise<Decoder> {
  log(`${name}: uploading (${cfg.nLayers} layers, C=${cfg.dModel}, V=${cfg.vocabSize}, ${dtype} weights)`);
  const t0 = performance.now();
  const model = new Decoder(gpu, cfg, randomDecoderTensors(gpu, cfg, dtype), dtype);
  await model.warm();
  const mb = model.gpuBytes();
  log(`  ${((performance.now() - t0) / 1000).toFixed(1)} s to make, upload and compile; GPU memory: ${(mb.weights / 1e6).toFixed(0)} MB weights, ` +
    `${(mb.activations / 1e6).toFixed(0)} MB activations, ${(mb.kvCache / 1e6).toFixed(0)} MB KV cache`);
  return model;
}

/**
 * Whether BENCH_ONLY (`only`: comma-separated, null = everything) picks the model `key`
 * (bundled, gpt2, gemma-270m, gemma-1b): an entry picks the keys it starts, so `gemma` is both.
 */
export const selected = (only: string | null | undefined, key: string): boolean =>
  !only || only.split(',').some((o) => o.trim() !== '' && key.startsWith(o.trim()));

/**
 * Timed runs for a decoder shape. On a CPU adapter (SwiftShader) a Gemma-3-270m decode step
 * takes about a second and a Gemma-3-1b one several, a T=128 prefill tens of seconds: one
 * prefill after the warm-up and a few decode steps keep it to minutes.
 */
export function decoderRuns(key: string, fallback: boolean) {
  if (!fallback) return { prefill: 5, decodeSteps: 33, forwardPrompt: 0, contextSteps: 17 };
  return key === 'gemma-1b'
    ? { prefill: 1, decodeSteps: 3, forwardPrompt: 0, contextSteps: 0 }
    : { prefill: 1, decodeSteps: 5, forwardPrompt: 0, contextSteps: 0 };
}

/** Milliseconds per op kind for one T-token forward, each dispatch timed alone (so it adds overhead). */
export async function profile(gpu: Gpu, model: BenchedModel, T: number, log: Log): Promise<Record<string, number>> {
  const plan = model.plan(T, [], 'last');
  const byOp: Record<string, number> = {};
  gpu.writeStep(0);
  for (const s of plan.steps) {
    const t0 = performance.now();
    gpu.run([s]);
    await gpu.device.queue.onSubmittedWorkDone();
    const op = s.label.replace(/^(h|layers)\.\d+\./, '').replace(/\[\d+\]$/, '');
    byOp[op] = (byOp[op] ?? 0) + performance.now() - t0;
  }
  const total = Object.values(byOp).reduce((a, b) => a + b, 0);
  log(`  profile T=${T}: ` + Object.entries(byOp).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ') + ` (total ${total.toFixed(0)} ms)`);
  return byOp;
}

/** Median ms of `runs` forward passes of `ids` from an empty cache, after one warm-up. */
export async function timeForward(model: BenchedModel, ids: number[], runs: number, log?: Log, label?: string): Promise<number> {
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
  /** Timed runs after the warm-up: prefill T=128 (2), decode steps (32), prompt forwards (4; 0 skips that figure). */
  prefillRuns?: number;
  decodeSteps?: number;
  forwardRuns?: number;
  /** Context of the first timed decode step (10): the cache holds decodeContext - 1 positions then. */
  decodeContext?: number;
  /** Also profile the T=128 prefill op by op. */
  profilePrefill?: boolean;
}

export type ModelResult = Awaited<ReturnType<typeof benchModel>>;

/** Prefill, decode and a prompt's forward pass of a warmed model (loadModel, loadDecoder); the roofline floor is filled in by applyRoofline(). */
export async function benchModel(gpu: Gpu, name: string, model: BenchedModel, opts: BenchModelOptions) {
  const { log, prefillRuns = 2, decodeSteps: steps = 32, forwardRuns = 4, decodeContext = 10 } = opts;
  const { cfg, weightDtype: dtype } = model;
  const T = Math.min(128, cfg.nCtx);
  const ids = Array.from({ length: T }, (_, i) => (i * 7919) % cfg.vocabSize);
  const prefillMs = await timeForward(model, ids, prefillRuns, log, `prefill T=${T}`);
  model.reset();
  // a prefill, then one untimed step: the first timed step is at context decodeContext. Each
  // step samples greedily on the GPU and reads back the id alone, as generation does.
  const sampler = greedySampler(gpu);
  let next = (await model.forward(ids.slice(0, decodeContext - 2), { sampler })).sampled!.id;
  next = (await model.forward([next], { sampler })).sampled!.id; // warm-up step
  const stepMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    next = (await model.forward([next], { sampler })).sampled!.id;
    stepMs.push(performance.now() - t0);
  }
  sampler.destroy();
  const msPerStep = median(stepMs);
  log(`  decode: ${msPerStep.toFixed(1)} ms/step (${steps} steps from context ${decodeContext})`);
  const promptIds = opts.latencyIds ?? ids.slice(0, 12);
  const fwdMs = forwardRuns > 0 ? await timeForward(model, promptIds, forwardRuns) : null;
  const profileDecode = await profile(gpu, model, 1, log);
  const profilePrefill = opts.profilePrefill ? await profile(gpu, model, T, log) : undefined;
  return {
    name,
    weightDtype: dtype,
    /** Whether 'auto' would pick this dtype on this adapter (f16 needs shader-f16). */
    autoChoice: chooseWeightDtype('auto', gpu.ctx.features) === dtype,
    config: cfg,
    prefill: { T, runs: prefillRuns, ms: prefillMs, tokensPerSec: T / (prefillMs / 1000) },
    decode: {
      steps,
      contextFrom: decodeContext,
      msPerStep,
      meanMsPerStep: stepMs.reduce((a, b) => a + b, 0) / steps,
      tokensPerSec: 1000 / msPerStep,
      bytesPerStep: weightBytesPerStep(cfg, dtype),
      floorMs: NaN,
      rooflineRatio: NaN,
    },
    profileMs: { decode: profileDecode, prefill: profilePrefill },
    forwardPromptTokens: fwdMs === null ? null : promptIds.length,
    forwardPromptMs: fwdMs,
  };
}

/** Greedy sampling on the GPU: what a decode step of generation runs after the forward. */
export const greedySampler = (gpu: Gpu) => new GpuSampler(gpu, { temperature: 0, topK: 0, topP: 1 }, 0);

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

/** A random standard SAE on GPT-2 small's blocks.6.hook_resid_pre (C=768), S features, and its random generator. */
export function randomSae(gpu: Gpu, dtype: WeightDtype, S = 24576): { sae: Sae; rand: (n: number, scale: number) => Float32Array } {
  const C = 768;
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
  return { sae: new Sae(gpu, cfg, weights, dtype), rand };
}

/** SAE encode + top-k per token at GPT-2 small's residual (C=768) and S=24576, as res-jb has. */
export async function benchSae(gpu: Gpu, decodeMsPerStep: number, dtype: WeightDtype, log: Log, runs = 5) {
  const [C, S, K] = [768, 24576, 32];
  const { sae, rand } = randomSae(gpu, dtype, S);
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
