// The benchmark page: copy-kernel bandwidth, then prefill and decode on the bundled model (when
// present) and on a random-weight model with GPT-2 small's exact shapes. Results go to
// window.__bench for tools/bench/run.mjs.
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
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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

async function benchModel(gpu: Gpu, name: string, cfg: Gpt2Config, weights: Weights, copyGBps: number) {
  log(`${name}: uploading (${cfg.nLayers} layers, C=${cfg.dModel}, V=${cfg.vocabSize})`);
  const model = new Gpt2(gpu, cfg, weights);
  await model.warm();
  const T = Math.min(128, cfg.nCtx);
  const ids = Array.from({ length: T }, (_, i) => (i * 7919) % cfg.vocabSize);
  const prefillMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    model.reset();
    const t0 = performance.now();
    await model.forward(ids, { logits: 'last' });
    if (i > 0) prefillMs.push(performance.now() - t0);
    log(`  prefill T=${T}: ${(performance.now() - t0).toFixed(0)} ms${i ? '' : ' (warm-up)'}`);
  }
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
  const profileDecode = await profile(gpu, model, 1);
  const profilePrefill = new URLSearchParams(location.search).has('profile') ? await profile(gpu, model, T) : undefined;
  model.destroy();
  const bytes = decodeBytesPerStep(cfg);
  const floorMs = (bytes / (copyGBps * 1e9)) * 1000;
  const msPerStep = median(stepMs);
  const result = {
    name,
    config: cfg,
    prefill: { T, ms: median(prefillMs), tokensPerSec: T / (median(prefillMs) / 1000) },
    decode: {
      steps,
      contextFrom: 10,
      msPerStep,
      meanMsPerStep: stepMs.reduce((a, b) => a + b, 0) / steps,
      tokensPerSec: 1000 / msPerStep,
      bytesPerStep: bytes,
      floorMs,
      rooflineRatio: msPerStep / floorMs,
    },
    profileMs: { decode: profileDecode, prefill: profilePrefill },
  };
  log(`  decode: ${msPerStep.toFixed(1)} ms/step (floor ${floorMs.toFixed(1)} ms, ratio ${result.decode.rooflineRatio.toFixed(2)})`);
  return result;
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
    const st = await readSourceFile({ kind: 'url', baseUrl: '/models/glassbox-mini/' }, 'model.safetensors', false);
    models.push(await benchModel(gpu, 'glassbox-mini (bundled)', cfg, gpt2Weights(parseSafetensors(st!, 'model.safetensors'), cfg), copyGBps));
  }
  if (only !== 'bundled') {
    const cfg = parseGpt2Config(JSON.stringify({ model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12 }));
    models.push(await benchModel(gpu, 'GPT-2 small shapes (random weights, fp32)', cfg, randomWeights(cfg), copyGBps));
  }
  const copyAfter = await copyBandwidth(gpu);
  log(`copy bandwidth after: ${copyAfter.toFixed(2)} GB/s`);
  window.__bench = {
    date: new Date().toISOString(),
    adapter: gpu.ctx.adapter,
    features: gpu.ctx.features,
    userAgent: navigator.userAgent,
    copyGBps,
    copyGBpsAfter: copyAfter,
    rooflineDefinition: 'decode ms/step ÷ (weight bytes read per step ÷ copy-kernel bandwidth, read+write bytes per second)',
    models,
  };
}

main().catch((e) => {
  console.error(e);
  window.__benchError = String(e?.stack ?? e);
});
