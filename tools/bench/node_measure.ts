// What the Node benchmark (node.ts) adds to the shared measures (measure.ts): the correctness
// gate against the CPU reference, the empty-submit round trip, one logits row's readback, and
// decode at fixed contexts. DOM-free like measure.ts, so the page could use it too.
import { createBuffer, readBuffer } from '../../src/gpu/buffers';
import type { Gpu } from '../../src/gpu/gpu';
import type { Gpt2 } from '../../src/model/gpt2';
import { argmax } from '../../src/model/sampling';
import type { Weights } from '../../src/model/weights';
import { gpt2Ref } from '../../src/reference/gpt2';
import { floorMs, greedySampler, median, weightBytesPerStep, type BenchedModel, type Log } from './measure';

/** GPU logits may differ from the reference's by this fraction of the largest |reference logit|. */
export const REL_TOLERANCE = 1e-4;

/**
 * The GPU forward against the CPU reference (src/reference/gpt2.ts) on `model`'s weights: the
 * logits of every row of a `prompt`-token prefill, then of `steps` KV-cached decode steps, each
 * step fed the next id of the same sequence so that one reference forward covers all rows.
 * `refWeights` are the values the GPU holds: the f32 weights, or for f16 storage the same
 * weights rounded to halves (the arithmetic is f32 either way, so the match is as tight).
 */
export async function checkAgainstReference(model: Gpt2, refWeights: Weights, refLabel: string, log: Log, prompt = 6, steps = 3) {
  const { cfg } = model;
  const V = cfg.vocabSize;
  const ids = Array.from({ length: prompt + steps }, (_, i) => (i * 7919 + 13) % V);
  model.reset();
  const rows: Float32Array[] = [];
  const pre = await model.forward(ids.slice(0, prompt), { logits: 'all' });
  for (let t = 0; t < prompt; t++) rows.push(pre.logits.slice(t * V, (t + 1) * V));
  for (let t = prompt; t < ids.length; t++) rows.push((await model.forward([ids[t]], { logits: 'last' })).logits.slice());
  model.reset();
  const t0 = performance.now();
  const ref = gpt2Ref(cfg, refWeights, ids).logits; // (prompt + steps, V)
  const referenceMs = performance.now() - t0;
  let maxAbsRef = 0;
  for (const x of ref) maxAbsRef = Math.max(maxAbsRef, Math.abs(x));
  const tolerance = REL_TOLERANCE * maxAbsRef;
  const perRow = rows.map((got, t) => {
    let maxDiff = 0;
    let worst = 0;
    for (let i = 0; i < V; i++) {
      const d = Math.abs(got[i] - ref[t * V + i]);
      if (!(d <= maxDiff)) [maxDiff, worst] = [Number.isNaN(d) ? Infinity : d, i]; // NaN fails
    }
    const argmaxMatches = argmax(got) === argmax(ref.subarray(t * V, (t + 1) * V));
    return { row: t, kind: t < prompt ? 'prefill' : 'decode', maxAbsDiff: maxDiff, at: worst, got: got[worst], ref: ref[t * V + worst], argmaxMatches };
  });
  const maxAbsDiff = Math.max(...perRow.map((r) => r.maxAbsDiff));
  const passed = maxAbsDiff <= tolerance;
  log(`  check ${model.weightDtype} vs the reference (${refLabel}): max |logit diff| ${maxAbsDiff.toExponential(2)}, ` +
    `tolerance ${tolerance.toExponential(2)} (${REL_TOLERANCE} x max |logit| ${maxAbsRef.toFixed(3)}): ${passed ? 'ok' : 'MISMATCH'} ` +
    `(CPU reference ${(referenceMs / 1000).toFixed(1)} s)`);
  return {
    weightDtype: model.weightDtype,
    reference: refLabel,
    ids,
    prefillTokens: prompt,
    decodeSteps: steps,
    tolerance: { relative: REL_TOLERANCE, of: 'max |reference logit| over all rows', absolute: tolerance },
    maxAbsRef,
    maxAbsDiff,
    relativeError: maxAbsDiff / maxAbsRef,
    argmaxMatches: perRow.every((r) => r.argmaxMatches),
    passed,
    // the worst element of each row, so a mismatch says where
    rows: perRow,
  };
}

/** Median ms of an empty command buffer's submit + onSubmittedWorkDone, after 5 warm-ups. */
export async function emptySubmitMs(gpu: Gpu, runs: number): Promise<number> {
  const { device } = gpu;
  const ms: number[] = [];
  for (let i = 0; i < runs + 5; i++) {
    const t0 = performance.now();
    device.queue.submit([device.createCommandEncoder({ label: 'empty' }).finish()]);
    await device.queue.onSubmittedWorkDone();
    if (i >= 5) ms.push(performance.now() - t0);
  }
  return median(ms);
}

/** Median ms to read back `bytes` as the engine reads its output (staging buffer, copy, map), after 2 warm-ups. */
export async function readbackMs(gpu: Gpu, bytes: number, runs: number): Promise<number> {
  const buf = createBuffer(gpu.device, 'readback source', bytes);
  const ms: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const t0 = performance.now();
    await readBuffer(gpu.device, buf, bytes);
    if (i >= 2) ms.push(performance.now() - t0);
  }
  buf.destroy();
  return median(ms);
}

export type ContextResult = Awaited<ReturnType<typeof decodeAtContexts>>[number];

/**
 * Decode ms/step with each step's token at position n - 1 (it attends to n keys), n in
 * `contexts`: one warm-up step, then `steps` timed ones, each sampling greedily on the GPU and
 * reading back the id alone, as generation does.
 */
export async function decodeAtContexts(model: BenchedModel, contexts: number[], steps: number, log: Log) {
  const { cfg, weightDtype } = model;
  const cache = model.cache(0);
  model.reset();
  const sampler = greedySampler(model.gpu);
  let next = (await model.forward([1, 2, 3, 4, 5, 6, 7, 8], { sampler })).sampled!.id; // one real prefill
  const out = [];
  for (const n of contexts) {
    if (n > cfg.nCtx) throw new Error(`context ${n} exceeds n_ctx ${cfg.nCtx}`);
    const ms: number[] = [];
    for (let i = 0; i <= steps; i++) {
      // The cache length is set directly rather than built by a prefill of n - 1 tokens (slow on
      // SwiftShader at n = 1000): a step's time does not depend on the cached values, only on
      // how many there are. Positions past the real prefill hold zeros or earlier runs' keys.
      cache.length = n - 1;
      const t0 = performance.now();
      next = (await model.forward([next], { sampler })).sampled!.id;
      if (i > 0) ms.push(performance.now() - t0);
    }
    const msPerStep = median(ms);
    log(`  decode at context ${n}: ${msPerStep.toFixed(2)} ms/step`);
    out.push({
      context: n,
      steps,
      msPerStep,
      meanMsPerStep: ms.reduce((a, b) => a + b, 0) / steps,
      tokensPerSec: 1000 / msPerStep,
      bytesPerStep: weightBytesPerStep(cfg, weightDtype),
      floorMs: NaN,
      rooflineRatio: NaN,
    });
  }
  sampler.destroy();
  model.reset();
  return out;
}

/** Fills in each context's floor and roofline ratio (weights only: the KV cache's reads are not counted). */
export function contextRoofline(rows: ContextResult[], copyGBps: number): void {
  for (const r of rows) {
    r.floorMs = floorMs(r.bytesPerStep, copyGBps);
    r.rooflineRatio = r.msPerStep / r.floorMs;
  }
}
