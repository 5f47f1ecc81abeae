// Soak: many analyze and generate calls on one Engine, with model and SAE switches between them
// (load with an SAE, loadSae, unloadSae), over three random models of different widths and four
// SAEs. Checked at every switch, on a tracked device (tests/helpers/tracking_device.ts):
//   - the GPU buffer bytes live right after entering a (model, SAE) pair equal those of its first
//     entry, exactly (a leak is reported by the labels of the buffers that stayed);
//   - every live byte is one the engine reports in memory(), but for the Gpu's own `step` uniform;
//   - a pair gives the same features for the same prompt on every visit.
// And the JS heap, measured after forced GCs at the end of each cycle (tests/helpers/heap.ts), grows
// by less than 5% from the end of the warm-up (the first cycle, the first two in the full run:
// every model, SAE, pipeline and plan size seen, the hot code compiled) to the end of the run (the
// median of the last three cycles, which damps what a GC leaves). The full run also compares heap
// snapshots at those two points, without the compiled code: the JS objects alone.
// `npm test` runs the short version (100 analyze, 10 generate, 10 switches); `npm run soak`
// (VITE_SOAK=full) runs 1,000 analyze and 100 generate over 50 switches and writes bench/soak.json.
// The engine runs the real-GPU launch shapes (split-K matvec and attention, whose scratch buffer
// is shared across a model's plans) even on SwiftShader: that is the path real GPUs take.
import { expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import { Engine } from '../../src/worker/engine';
import type { GenerateRequest, ModelSource, SaeSource } from '../../src/worker/api';
import { randomModelSource } from '../helpers/files_source';
import { randomSaeLensFiles, type RandomSaeSpec } from '../helpers/random_sae';
import { heapSnapshotSizes, heapUsage, type HeapUsage } from '../helpers/heap';
import { bufferDiff, describeBuffers, trackingGpu, type LiveBuffer } from '../helpers/tracking_device';

const FULL = import.meta.env.VITE_SOAK === 'full';
const CYCLES = FULL ? 10 : 2;
const N_ANALYZE = FULL ? 1000 : 100;
const N_GENERATE = FULL ? 100 : 10;
const NEW_TOKENS = FULL ? 8 : 4;
const OUT = 'bench/soak.json';
const HEAP_GROWTH_LIMIT = 0.05;
const WARMUP_CYCLES = FULL ? 2 : 1;

const sae = (spec: Omit<RandomSaeSpec, 'modelName'>, topK = 16): SaeSource => ({ kind: 'files', files: randomSaeLensFiles(spec), topK });
// three widths (C = 64, 128, 96), and a third layer for C
const A: ModelSource = randomModelSource(11, 48, { dModel: 64, nHeads: 2 });
const B: ModelSource = randomModelSource(12, 48, { dModel: 128, nHeads: 4 });
const C: ModelSource = randomModelSource(13, 48, { dModel: 96, nHeads: 3, nLayers: 3 });
const X = sae({ dIn: 64, dSae: 256, hookName: 'blocks.1.hook_resid_pre', arch: 'standard', seed: 21 });
const Y = sae({ dIn: 64, dSae: 512, hookName: 'blocks.0.hook_resid_post', arch: 'jumprelu', seed: 22 }, 24);
const Z = sae({ dIn: 128, dSae: 384, hookName: 'blocks.1.hook_resid_mid', arch: 'topk', k: 16, seed: 23 });
const W = sae({ dIn: 96, dSae: 200, hookName: 'blocks.2.hook_resid_pre', arch: 'gated', seed: 24 }, 8);

interface Phase {
  pair: string;
  via: 'load' | 'loadSae' | 'unloadSae';
  enter: (e: Engine) => Promise<unknown>;
  /** An SAE is in service: analyze, featureActivations and steered generation. */
  sae: boolean;
}

// One cycle. Each pair is entered the same way every cycle after the same work, so what a model
// keeps between its SAEs (the steered stream's KV cache, the sampling logits) is the same each time.
const PHASES: Phase[] = [
  { pair: 'A(C=64)+X(standard, 256)', via: 'load', enter: (e) => e.load(A, undefined, X), sae: true },
  { pair: 'A(C=64)+Y(jumprelu, 512)', via: 'loadSae', enter: (e) => e.loadSae(Y), sae: true },
  { pair: 'A(C=64), no SAE', via: 'unloadSae', enter: (e) => e.unloadSae(), sae: false },
  { pair: 'B(C=128)+Z(topk, 384)', via: 'load', enter: (e) => e.load(B, undefined, Z), sae: true },
  { pair: 'C(C=96, 3 layers)+W(gated, 200)', via: 'load', enter: (e) => e.load(C, undefined, W), sae: true },
];

// Prompts of 4 to 44 bytes (the byte tokenizer: about a token a byte): 40 plan sizes, more than
// the 24 plans a model caches, so plan eviction runs too.
const WORDS = 'the cat sat on a mat while a dog ran past the old red barn at dusk'.split(' ');
const PROMPTS = Array.from({ length: 40 }, (_, i) => {
  let s = WORDS[i % WORDS.length];
  for (let j = i + 1; s.length < 4 + i; j++) s += ` ${WORDS[j % WORDS.length]}`;
  return s.slice(0, 4 + i);
});

interface SwitchRecord {
  cycle: number;
  pair: string;
  via: Phase['via'];
  ms: number;
  liveBytes: number;
  liveBuffers: number;
  baseline: number;
  delta: number;
  /** engine.memory().total, and what the device holds beyond it (the Gpu's own buffers). */
  engineBytes: number;
  beyondEngine: number;
  /** The visit's analyze and generate calls. */
  workMs: number;
}

type HeapSample = HeapUsage & { cycle: number };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const pct = (from: number, to: number) => Number((((to - from) / from) * 100).toFixed(3));

/** n calls spread over `slots` as evenly as possible, in order. */
const spread = (n: number, slots: number) => Array.from({ length: slots }, (_, i) => Math.floor(((i + 1) * n) / slots) - Math.floor((i * n) / slots));

it(`soak: ${N_ANALYZE} analyze, ${N_GENERATE} generate, ${CYCLES * PHASES.length} switches; GPU bytes back to baseline, heap flat`, { timeout: FULL ? 3_600_000 : 600_000 }, async () => {
  const t0 = performance.now();
  const { factory, tracker, adapter } = trackingGpu('gpu');
  const engine = new Engine(factory);
  const analyzeSlots = spread(N_ANALYZE, CYCLES * PHASES.filter((p) => p.sae).length);
  const generateSlots = spread(N_GENERATE, CYCLES * PHASES.length);
  // every visit generates, so each pair is entered with the same lazily made buffers every cycle
  expect(Math.min(...generateSlots)).toBeGreaterThan(0);

  const baselines = new Map<string, { bytes: number; buffers: LiveBuffer[]; topIdx: number[] }>();
  const switches: SwitchRecord[] = [];
  const heaps: HeapSample[] = [];
  const failures: string[] = [];
  let analyzeCalls = 0;
  let generateCalls = 0;
  let featureCalls = 0;
  let tokens = 0;
  let saeVisits = 0;
  const snapshots: Array<{ cycle: number; total: number; code: number; objects: number }> = [];
  let report: Record<string, unknown> | null = null;
  try {
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      for (const phase of PHASES) {
        const ts = performance.now();
        const createdBefore = switches.length ? tracker().created : 0; // the first load requests the device
        await phase.enter(engine);
        const ms = performance.now() - ts;
        const tr = tracker();
        const liveBytes = tr.liveBytes;
        const buffers = tr.live();
        const engineBytes = (await engine.memory())!.total;
        // the Gpu's own uniform, which no model accounts for
        const gpuOwn = buffers.filter((b) => b.label === 'step').reduce((a, b) => a + b.size, 0);
        // a fixed prompt's features: the same on every visit
        const topIdx = phase.sae ? Array.from((await engine.analyze({ text: PROMPTS[7] })).topIdx) : [];
        if (phase.sae) analyzeCalls++;
        let base = baselines.get(phase.pair);
        if (!base) baselines.set(phase.pair, (base = { bytes: liveBytes, buffers, topIdx }));
        const delta = liveBytes - base.bytes;
        switches.push({
          cycle, pair: phase.pair, via: phase.via, ms: Math.round(ms), liveBytes, liveBuffers: buffers.length,
          baseline: base.bytes, delta, engineBytes, beyondEngine: liveBytes - engineBytes, workMs: 0,
        });
        if (delta !== 0 || buffers.length !== base.buffers.length) {
          const { extra, missing } = bufferDiff(base.buffers, buffers);
          failures.push(`cycle ${cycle}, ${phase.via} into ${phase.pair}: ${delta > 0 ? '+' : ''}${delta} bytes from its baseline; extra: ${describeBuffers(extra)}; missing: ${describeBuffers(missing)}`);
        }
        if (liveBytes - engineBytes !== gpuOwn) {
          // a new model replaces everything but the Gpu's own buffers: what predates the load is left over
          const stale = phase.via === 'load' ? buffers.filter((b) => b.seq < createdBefore && b.label !== 'step') : [];
          failures.push(
            `cycle ${cycle}, ${phase.via} into ${phase.pair}: the device holds ${liveBytes - gpuOwn - engineBytes} bytes more than the engine reports (${engineBytes})` +
              (stale.length ? `; live from before the load: ${describeBuffers(stale)}` : ''),
          );
        }
        if (JSON.stringify(topIdx) !== JSON.stringify(base.topIdx)) failures.push(`cycle ${cycle}, ${phase.pair}: other features than on the first visit`);

        const visit = switches.length - 1;
        const tw = performance.now();
        if (phase.sae) {
          const n = analyzeSlots[saeVisits++] - 1; // the visit's first analyze ran above
          for (let i = 0; i < n; i++) {
            const text = PROMPTS[analyzeCalls % PROMPTS.length];
            const res = await engine.analyze({ text });
            analyzeCalls++;
            expect(res.topIdx.length).toBe(res.ids.length * res.k);
            if (analyzeCalls % 10 === 0) {
              const acts = await engine.featureActivations([0, 5, 7]);
              expect(acts.values.length).toBe(res.ids.length * 3);
              featureCalls++;
            }
          }
        }
        for (let i = 0; i < generateSlots[visit]; i++) {
          const req: GenerateRequest = {
            prompt: PROMPTS[(generateCalls * 7) % PROMPTS.length].slice(0, 12), maxNewTokens: NEW_TOKENS, seed: generateCalls,
            sampling: { temperature: 0.8, topK: 40, topP: 0.95 }, stopAtEos: false,
            steering: phase.sae ? [{ feature: 3, mode: 'add', value: 4, unit: 'absolute' }] : undefined,
          };
          const res = await engine.generate(req, () => {});
          generateCalls++;
          expect(res.baseline!.ids).toHaveLength(NEW_TOKENS);
          tokens += res.baseline!.ids.length + (res.steered?.ids.length ?? 0);
        }
        switches[visit].workMs = Math.round(performance.now() - tw);
      }
      heaps.push({ cycle: cycle + 1, ...(await heapUsage()) });
      if (FULL && (cycle + 1 === WARMUP_CYCLES || cycle + 1 === CYCLES)) snapshots.push({ cycle: cycle + 1, ...(await heapSnapshotSizes()) });
      if (FULL) console.log(`[soak] cycle ${cycle + 1}/${CYCLES}: ${analyzeCalls} analyze, ${generateCalls} generate, ${((performance.now() - t0) / 1000).toFixed(1)} s, heap ${(heaps.at(-1)!.usedSize / 1e6).toFixed(2)} MB, GPU ${tracker().liveBytes} B live`);
    }
    const warm = heaps[WARMUP_CYCLES - 1].usedSize;
    const end = median(heaps.slice(Math.max(WARMUP_CYCLES, CYCLES - 3)).map((h) => h.usedSize));
    const growth = pct(warm, end);
    if (!(growth < HEAP_GROWTH_LIMIT * 100)) failures.push(`the JS heap grew ${growth}% (${warm} -> ${end} bytes), over ${HEAP_GROWTH_LIMIT * 100}%`);
    const objectsGrowth = snapshots.length === 2 ? pct(snapshots[0].objects, snapshots[1].objects) : null;
    if (objectsGrowth !== null && !(objectsGrowth < HEAP_GROWTH_LIMIT * 100)) failures.push(`the heap's JS objects grew ${objectsGrowth}% (${snapshots[0].objects} -> ${snapshots[1].objects} bytes)`);
    await engine.dispose();
    const left = tracker().live().filter((b) => b.label !== 'step');
    if (left.length) failures.push(`after dispose() the engine left undestroyed: ${describeBuffers(left)}`);
    const wallS = (performance.now() - t0) / 1000;
    report = {
      mode: FULL ? 'full' : 'short',
      date: new Date().toISOString(),
      adapter: adapter(),
      adapterClass: 'gpu: the real-GPU launch shapes (split-K), forced on this adapter',
      userAgent: navigator.userAgent,
      calls: { analyze: analyzeCalls, generate: generateCalls, featureActivations: featureCalls, generatedTokens: tokens, newTokensPerStream: NEW_TOKENS },
      switches: switches.length,
      cycles: CYCLES,
      baselines: Object.fromEntries([...baselines].map(([pair, b]) => [pair, { bytes: b.bytes, buffers: b.buffers.length }])),
      switchLog: switches,
      gpu: { peakBytes: tracker().peakBytes, buffersCreated: tracker().created, buffersDestroyed: tracker().destroyed, leftAfterDispose: describeBuffers(tracker().live()) },
      heap: {
        method:
          'CDP HeapProfiler.collectGarbage twice (100 ms apart), then Runtime.getHeapUsage().usedSize, at the end of every cycle (the same pair in service each time); ' +
          `warm-up = end of cycle ${WARMUP_CYCLES}; end = median of the last ${Math.min(3, CYCLES - WARMUP_CYCLES)} cycles`,
        warmupBytes: warm, endBytes: end, growthPct: growth, limitPct: HEAP_GROWTH_LIMIT * 100,
        snapshots: snapshots.length ? { note: 'self sizes from CDP heap snapshots; code = bytecode, JIT code and type feedback', points: snapshots, objectsGrowthPct: objectsGrowth } : undefined,
        perCycle: heaps,
      },
      wallSeconds: Number(wallS.toFixed(1)),
      failures,
    };
    if (FULL) for (const r of switches) console.log(`[soak] ${r.cycle} ${r.via} ${r.pair}: switch ${r.ms} ms, work ${r.workMs} ms, ${r.liveBytes} B (${r.delta >= 0 ? '+' : ''}${r.delta})`);
    console.log(
      `[soak] ${report.mode}: ${analyzeCalls} analyze, ${generateCalls} generate, ${switches.length} switches in ${report.wallSeconds} s; ` +
        `largest GPU delta from a baseline ${Math.max(...switches.map((r) => Math.abs(r.delta)))} B; heap ${growth >= 0 ? '+' : ''}${growth}%` +
        (objectsGrowth !== null ? ` (JS objects ${objectsGrowth >= 0 ? '+' : ''}${objectsGrowth}%)` : '') + (failures.length ? `; ${failures.length} failures` : ''),
    );
  } finally {
    if (FULL) await commands.writeFile(OUT, `${JSON.stringify(report ?? { failures, switchLog: switches, heaps, incomplete: true }, null, 2)}\n`);
  }
  expect(failures).toEqual([]);
});
