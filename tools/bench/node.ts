// `npm run bench:node`: the benchmark in Node on Dawn (the `webgpu` package's dawn.node), for
// real GPUs without a browser. Bundled by build-node.mjs into one module that needs only `node`
// and dawn.node. First a correctness gate: GPT-2 small shapes with random weights, GPU logits of
// a prefill and of KV-cached decode steps against the CPU reference, f32 and f16 weights; a
// mismatch is written with no times and exits 1. Then the figures, in the browser bench's field
// names where they overlap (bench/results.json), plus the adapter's features and limits, the
// empty-submit round trip, a logits row's readback, and decode at contexts 16, 512 and 1000.
// Then random-weight decoders with Gemma-3-270m's and Gemma-3-1b's shapes, f16 storage (no CPU
// reference at these sizes: the decoder's correctness is the test suite's). BENCH_ONLY narrows
// it: gpt2 (with its gate), gemma (both Gemma shapes), gemma-270m, gemma-1b.
// Usage: node glassbox-bench.mjs [results.json]   (DAWN_NODE=path/to/dawn.node to choose one)
import { dawn } from './dawn'; // first: it installs the WebGPU globals the engine's modules read
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { checkAlive, describeAdapter, requestGpu } from '../../src/gpu/device';
import { Gpu } from '../../src/gpu/gpu';
import type { WeightDtype } from '../../src/gpu/f16';
import type { Gpt2 } from '../../src/model/gpt2';
import { halfWeights } from '../../src/model/weights';
import {
  applyRoofline, benchModel, benchSae, copyBandwidth, DECODER_SHAPES, decoderConfig, decoderRunName, decoderRuns, gpt2SmallConfig, loadDecoder, loadModel,
  randomSae, randomWeights, ROOFLINE_DEFINITION, selected, type Log, type ModelResult,
} from './measure';
import { benchAttribution, type AttributionBench } from './attribution';
import { checkAgainstReference, contextRoofline, decodeAtContexts, emptySubmitMs, readbackMs, type ContextResult } from './node_measure';

declare const __WEBGPU_PACKAGE_VERSION__: string;

const started = performance.now();
const outPath = process.argv[2] ?? 'bench/results-node.json';
const log: Log = (s) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${s}`);
const CONTEXTS = [16, 512, 1000];

function write(results: object): void {
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, JSON.stringify(results, null, 2) + '\n');
  log(`wrote ${outPath}`);
}

async function main(): Promise<number> {
  // Dawn flags, e.g. GLASSBOX_DAWN_FLAGS=enable-dawn-features=vulkan_enable_f16_on_nvidia: Dawn
  // withholds shader-f16 on NVIDIA's Vulkan driver below 615.71 unless that toggle is on.
  const flags = (process.env.GLASSBOX_DAWN_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const navigatorGpu = dawn.create(flags);
  const adapter = await navigatorGpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new Error('No WebGPU adapter. Without a GPU, use SwiftShader: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (Dawn refuses lavapipe)');
  }
  const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const adapterLimits: Record<string, number> = {};
  for (const k in adapter.limits) adapterLimits[k] = adapter.limits[k as keyof GPUSupportedLimits] as number;
  const gpu = new Gpu(await requestGpu(navigatorGpu));
  // Keep dawn.node's GPU and adapter objects reachable for the whole run: nothing reads them
  // after this, and a scratch Dawn script that let them be collected (an async frame drops dead
  // locals) aborted in Dawn's threads within seconds of its first large allocations.
  (globalThis as { __glassboxDawn?: unknown }).__glassboxDawn = { navigatorGpu, adapter };
  const fallback = gpu.ctx.adapter.isFallbackAdapter;
  const head = {
    date: new Date().toISOString(),
    runtime: {
      node: process.version,
      webgpu: __WEBGPU_PACKAGE_VERSION__,
      dawnNode: dawn.path,
      vulkanDrivers: process.env.VK_DRIVER_FILES ?? process.env.VK_ICD_FILENAMES ?? null,
      dawnFlags: flags,
    },
    adapter: { ...describeAdapter(adapter), subgroupMinSize: info.subgroupMinSize, subgroupMaxSize: info.subgroupMaxSize },
    features: gpu.ctx.features,
    adapterFeatures: [...adapter.features].sort(),
    adapterLimits,
  };
  log(`adapter: ${head.adapter.vendor} / ${head.adapter.architecture} / ${head.adapter.device || '-'}${fallback ? ' (fallback adapter)' : ''}`);
  const only = process.env.BENCH_ONLY || null;
  if (only) log(`BENCH_ONLY=${only}`);

  // A CPU adapter (SwiftShader) is ~1000x slower than a GPU: fewer runs keep it to minutes.
  const runs = fallback
    ? { prefill: 1, decodeSteps: 9, contextSteps: 5, forwardPrompt: 2, sae: 3, emptySubmit: 31, readback: 11 }
    : { prefill: 5, decodeSteps: 33, contextSteps: 33, forwardPrompt: 9, sae: 21, emptySubmit: 201, readback: 51 };

  // Correctness first, both weight dtypes, before anything is timed
  const cfg = gpt2SmallConfig();
  const weights = randomWeights(cfg);
  const models = new Map<WeightDtype, { model: Gpt2; name: string }>();
  const correctness = [];
  for (const dtype of selected(only, 'gpt2') ? (['f32', 'f16'] as const) : []) {
    const note = dtype === 'f16' && !gpu.ctx.features.shaderF16 ? ', not the automatic choice here: no shader-f16' : '';
    const name = `GPT-2 small shapes (random weights, ${dtype}${note})`;
    const model = await loadModel(gpu, name, cfg, weights, dtype, log);
    models.set(dtype, { model, name });
    const ref = dtype === 'f16' ? halfWeights(cfg, weights) : weights;
    correctness.push(await checkAgainstReference(model, ref, dtype === 'f16' ? 'weights rounded to f16' : 'f32 weights', log));
  }
  checkAlive(gpu.ctx); // a WebGPU error (say, a shader this driver rejects) fails the run before any timing
  if (!correctness.every((c) => c.passed)) {
    write({ ...head, correctness, error: 'GPU logits differ from the CPU reference beyond the tolerance: no times are reported' });
    return 1;
  }

  const copyBefore = await copyBandwidth(gpu);
  log(`copy bandwidth ${copyBefore.toFixed(2)} GB/s`);
  const emptySubmit = await emptySubmitMs(gpu, runs.emptySubmit);
  const rowBytes = cfg.vocabSize * 4;
  const readback = await readbackMs(gpu, rowBytes, runs.readback);
  log(`empty submit + onSubmittedWorkDone ${emptySubmit.toFixed(3)} ms; reading back one logits row (${rowBytes} B) ${readback.toFixed(3)} ms`);
  const results: Array<ModelResult & { decodeByContext: ContextResult[] }> = [];
  const saes = [];
  const attribution: AttributionBench[] = [];
  for (const [dtype, { model, name }] of models) {
    log(`${name}: timing`);
    const m = await benchModel(gpu, name, model, { log, prefillRuns: runs.prefill, decodeSteps: runs.decodeSteps, forwardRuns: runs.forwardPrompt });
    const decodeByContext = await decodeAtContexts(model, CONTEXTS, runs.contextSteps, log);
    // the backward and one attribution, a random SAE (S = 6144) on blocks.6.hook_resid_pre
    const { sae } = randomSae(gpu, dtype, 6144);
    model.attachSae(sae, 32);
    const ids = Array.from({ length: 40 }, (_, i) => (i * 7919) % cfg.vocabSize);
    attribution.push(await benchAttribution(gpu, name, model, ids, log, fallback ? 2 : 9));
    model.destroy(); // the attached SAE goes with it
    results.push({ ...m, decodeByContext });
    saes.push(await benchSae(gpu, m.decode.msPerStep, dtype, log, runs.sae));
  }
  // Gemma 3 shapes: random weights made straight into GPU buffers, tensor by tensor
  const decoderRunCounts: Record<string, ReturnType<typeof decoderRuns>> = {};
  for (const [shape, dtype] of DECODER_SHAPES.filter((d) => selected(only, d.key)).flatMap((d) => d.dtypes.map((t) => [d, t] as const))) {
    const name = decoderRunName(gpu, shape.label, dtype);
    const r = (decoderRunCounts[shape.key] = decoderRuns(shape.key, fallback));
    const model = await loadDecoder(gpu, name, decoderConfig(shape.config), dtype, log);
    checkAlive(gpu.ctx);
    const opts = { log, prefillRuns: r.prefill, decodeSteps: r.decodeSteps, forwardRuns: r.forwardPrompt, decodeContext: 16, profilePrefill: Boolean(process.env.BENCH_PROFILE) };
    const m = await benchModel(gpu, name, model, opts);
    // contexts 16 / 512 / 1000 on a GPU only: on a CPU adapter each step takes seconds
    const decodeByContext = r.contextSteps ? await decodeAtContexts(model, CONTEXTS, r.contextSteps, log) : [];
    model.destroy();
    results.push({ ...m, decodeByContext });
  }
  checkAlive(gpu.ctx);
  const copyAfter = await copyBandwidth(gpu);
  log(`copy bandwidth after: ${copyAfter.toFixed(2)} GB/s`);
  const copyGBps = (copyBefore + copyAfter) / 2; // it drifts during a run on a shared CPU adapter
  applyRoofline(results, copyGBps, log);
  for (const m of results.filter((r) => r.decodeByContext.length)) {
    contextRoofline(m.decodeByContext, copyGBps);
    log(`  ${m.weightDtype} decode ms/step at context ${m.decodeByContext.map((r) => `${r.context}: ${r.msPerStep.toFixed(2)}`).join(', ')}; ` +
      `roofline ratio at context ${m.decodeByContext[0].context}: ${m.decodeByContext[0].rooflineRatio.toFixed(2)}`);
  }
  write({
    ...head,
    benchOnly: only,
    runs,
    decoderRuns: decoderRunCounts,
    correctness,
    copyGBps,
    copyGBpsBefore: copyBefore,
    copyGBpsAfter: copyAfter,
    emptySubmitMs: emptySubmit,
    readbackLogitsRow: { bytes: rowBytes, ms: readback },
    rooflineDefinition: ROOFLINE_DEFINITION,
    contextDefinition: 'decode at context n: the step\'s token is at position n - 1 and attends to n keys; the KV cache length is set directly after one real prefill (the time does not depend on the cached values)',
    models: results,
    saes,
    attribution,
    wallSeconds: (performance.now() - started) / 1000,
  });
  return 0;
}

main().then(
  (code) => {
    log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    process.exit(code); // Dawn keeps the event loop alive
  },
  (e) => {
    console.error(e);
    write({ date: new Date().toISOString(), error: String((e as Error)?.stack ?? e) });
    process.exit(1);
  },
);
