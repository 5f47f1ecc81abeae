// The benchmark page: copy-kernel bandwidth, then prefill and decode on the bundled model (when
// present) and on a random-weight model with GPT-2 small's exact shapes, with f32 weights and
// with f16 ones (the automatic choice where the adapter has shader-f16; measured here either
// way, and labelled so). Results go to window.__bench for tools/bench/run.mjs.
import { requestGpu } from '../../src/gpu/device';
import { Gpu } from '../../src/gpu/gpu';
import { createBuffer } from '../../src/gpu/buffers';
import { copy } from '../../src/kernels/copy';
import { parseGpt2Config, expectedShapes, type Gpt2Config } from '../../src/model/config';
import { Gpt2 } from '../../src/model/gpt2';
import { argmax } from '../../src/model/sampling';
import { parseSafetensors } from '../../src/model/safetensors';
import { decodeBytesPerStep, gpt2Weights, type Weights } from '../../src/model/weights';
import { readSourceFile } from '../../src/store/sources';
import { TextTokenizer } from '../../src/model/tokenizer';
import { uploadBuffer } from '../../src/gpu/buffers';
import { chooseWeightDtype } from '../../src/gpu/device';
import type { WeightDtype } from '../../src/gpu/f16';
import { Sae } from '../../src/sae/sae';
import type { SaeConfig, SaeWeights } from '../../src/sae/formats';
import { benchPeer, median } from './peer';

declare global {
  interface Window {
    __bench?: unknown;
    __benchError?: string;
  }
}

const log = (s: string) => {
  console.log(s);
  document.getElementById('log')!.textContent += `\n${s}`;
};

async function copyBandwidth(gpu: Gpu): Promise<number> {
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
  return (2 * n * 4) / (median(times) / 1000) / 1e9; // bytes read + written per second
}

/** GPT-2 small's shapes with cheap deterministic pseudo-random weights (values do not matter for speed). */
function randomWeights(cfg: Gpt2Config): Weights {
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

/** Milliseconds per op kind for one T-token forward, each dispatch timed alone (so it adds overhead). */
async function profile(gpu: Gpu, model: Gpt2, T: number): Promise<Record<string, number>> {
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

/** The prompt the playground's keystroke latency is measured on (tools/bench/run.mjs types into it). */
const LATENCY_PROMPT = 'The ship sailed across the ocean and the whale';

/** Median ms of `runs` forward passes of `ids` from an empty cache, after one warm-up. */
async function timeForward(model: Gpt2, ids: number[], runs: number, label?: string): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i <= runs; i++) {
    model.reset();
    const t0 = performance.now();
    await model.forward(ids, { logits: 'last' });
    const dt = performance.now() - t0;
    if (i > 0) ms.push(dt);
    if (label) log(`  ${label}: ${dt.toFixed(0)} ms${i ? '' : ' (warm-up)'}`);
  }
  return median(ms);
}

/** Prefill, decode and a prompt's forward pass; the roofline floor is filled in by main(). */
async function benchModel(gpu: Gpu, name: string, cfg: Gpt2Config, weights: Weights, dtype: WeightDtype, latencyIds?: number[]) {
  log(`${name}: uploading (${cfg.nLayers} layers, C=${cfg.dModel}, V=${cfg.vocabSize}, ${dtype} weights)`);
  const model = new Gpt2(gpu, cfg, weights, dtype);
  await model.warm();
  const T = Math.min(128, cfg.nCtx);
  const ids = Array.from({ length: T }, (_, i) => (i * 7919) % cfg.vocabSize);
  const prefillMs = await timeForward(model, ids, 2, `prefill T=${T}`);
  const steps = 32;
  model.reset();
  let logits = (await model.forward(ids.slice(0, 8), { logits: 'last' })).logits;
  logits = (await model.forward([argmax(logits)], { logits: 'last' })).logits; // warm-up step
  const stepMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    logits = (await model.forward([argmax(logits)], { logits: 'last' })).logits;
    stepMs.push(performance.now() - t0);
  }
  // one forward pass of a short prompt (the playground's latency is compared with it)
  const promptIds = latencyIds ?? ids.slice(0, 12);
  const fwdMs = await timeForward(model, promptIds, 4);
  const profileDecode = await profile(gpu, model, 1);
  const profilePrefill = new URLSearchParams(location.search).has('profile') ? await profile(gpu, model, T) : undefined;
  model.destroy();
  const msPerStep = median(stepMs);
  const result = {
    name,
    weightDtype: dtype,
    /** Whether 'auto' would pick this dtype on this adapter (f16 needs shader-f16). */
    autoChoice: chooseWeightDtype('auto', gpu.ctx.features) === dtype,
    config: cfg,
    prefill: { T, ms: prefillMs, tokensPerSec: T / (prefillMs / 1000) },
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
  log(`  decode: ${msPerStep.toFixed(1)} ms/step`);
  return result;
}

/** SAE encode + top-k per token at GPT-2 small's residual (C=768) and S=24576, as res-jb has. */
async function benchSae(gpu: Gpu, decodeMsPerStep: number, dtype: WeightDtype) {
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
    for (let i = 0; i < 6; i++) {
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
    msPerTokenDecode: out.T1,
    msPerTokenBatched64: out.T64,
    ratioToDecodeStep: out.T1 / decodeMsPerStep,
    ratioToDecodeStepBatched64: out.T64 / decodeMsPerStep,
  };
}

async function main() {
  const only = new URLSearchParams(location.search).get('only');
  const gpu = new Gpu(await requestGpu());
  const copyGBps = await copyBandwidth(gpu);
  log(`copy bandwidth ${copyGBps.toFixed(2)} GB/s`);
  const models = [];
  const bundled = await readSourceFile({ kind: 'url', baseUrl: '/models/glassbox-mini/' }, 'config.json', true);
  if (bundled && only !== 'gpt2') {
    const cfg = parseGpt2Config(new TextDecoder().decode(bundled));
    const src = { kind: 'url' as const, baseUrl: '/models/glassbox-mini/' };
    const st = await readSourceFile(src, 'model.safetensors', false);
    const tok = TextTokenizer.fromJson(new TextDecoder().decode((await readSourceFile(src, 'tokenizer.json', false))!), null);
    // the playground analyses the prompt plus the one typed character
    const latencyIds = tok.encode(LATENCY_PROMPT + ' s');
    const weights = gpt2Weights(parseSafetensors(st!, 'model.safetensors'), cfg);
    models.push(await benchModel(gpu, 'glassbox-mini (bundled)', cfg, weights, 'f32', latencyIds));
  }
  const saes = [];
  if (only !== 'bundled') {
    const cfg = parseGpt2Config(JSON.stringify({ model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12 }));
    const weights = randomWeights(cfg);
    for (const dtype of ['f32', 'f16'] as const) {
      const note = dtype === 'f16' && !gpu.ctx.features.shaderF16 ? ', not the automatic choice here: no shader-f16' : '';
      const m = await benchModel(gpu, `GPT-2 small shapes (random weights, ${dtype}${note})`, cfg, weights, dtype);
      models.push(m);
      saes.push(await benchSae(gpu, m.decode.msPerStep, dtype));
    }
  }
  const peer = only !== 'bundled' ? await benchPeer(log) : null;
  // f32 against the peer's f32 graph; a peer whose logits came out non-finite did not really run
  const ours = models.find((m) => m.config.nLayers === 12 && m.weightDtype === 'f32');
  const peerRatio = peer?.finiteLogits && ours ? { decode: ours.decode.msPerStep / peer.decode.msPerStep, prefill: ours.prefill.ms / peer.prefill.ms, glassbox: ours.name } : null;
  const copyAfter = await copyBandwidth(gpu);
  log(`copy bandwidth after: ${copyAfter.toFixed(2)} GB/s`);
  // The bandwidth drifts during a run (other load on a CPU adapter): the floor uses the mean of
  // the measurements before and after.
  const meanGBps = (copyGBps + copyAfter) / 2;
  for (const m of models) {
    m.decode.floorMs = (m.decode.bytesPerStep / (meanGBps * 1e9)) * 1000;
    m.decode.rooflineRatio = m.decode.msPerStep / m.decode.floorMs;
    log(`${m.name}: decode floor ${m.decode.floorMs.toFixed(1)} ms, roofline ratio ${m.decode.rooflineRatio.toFixed(2)}`);
  }
  window.__bench = {
    date: new Date().toISOString(),
    adapter: gpu.ctx.adapter,
    features: gpu.ctx.features,
    userAgent: navigator.userAgent,
    copyGBps: meanGBps,
    copyGBpsBefore: copyGBps,
    copyGBpsAfter: copyAfter,
    rooflineDefinition:
      'decode ms/step ÷ (weight bytes read per step ÷ copy-kernel bandwidth, read+write bytes per second, mean of the measurements before and after)',
    models,
    saes,
    peer,
    /** Glassbox time ÷ peer time, same shapes, same adapter, same run (below 1: Glassbox is faster). */
    peerRatio,
    latencyPrompt: LATENCY_PROMPT,
  };
}

main().catch((e) => {
  console.error(e);
  window.__benchError = String(e?.stack ?? e);
});
