// The backward and one feature attribution against a forward of the same prompt (BENCH_ONLY=
// attribution; it also runs with `bundled`, and in bench:node on GPT-2 small's shapes). Each
// figure the median of `runs` after a warm-up, the three interleaved in one loop (so the load of a
// shared machine weighs on them alike):
//   forwardMs      one forward of the prompt from an empty cache, the SAE attached, every row's
//                  logits read back (what the attribution's own forward is)
//   backwardMs     gpt2Gradients: the backward's forward (which keeps activations) and the VJPs,
//                  d logit / d resid_pre of every layer read back
//   attributionMs  featureAttribution: the forward with the SAE, the backward, and ranking every
//                  active (feature, position) pair on the CPU
// The target: attributionMs (which contains a backward) <= 4x forwardMs.
import type { Gpu } from '../../src/gpu/gpu';
import { featureAttribution } from '../../src/model/attribution';
import { gpt2Gradients } from '../../src/model/backward';
import type { Gpt2 } from '../../src/model/gpt2';
import { median, type Log } from './measure';

export interface AttributionBench {
  model: string;
  promptTokens: number;
  runs: number;
  forwardMs: number;
  backwardMs: number;
  attributionMs: number;
  /** backwardMs / forwardMs and attributionMs / forwardMs. */
  backwardToForward: number;
  attributionToForward: number;
  samplesMs: { forward: number[]; backward: number[]; attribution: number[] };
}

/** `model` must have its SAE attached (resid_pre hook). */
export async function benchAttribution(gpu: Gpu, name: string, model: Gpt2, ids: number[], log: Log, runs = 5): Promise<AttributionBench> {
  const T = ids.length;
  const timed = async (fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    await gpu.device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  const target = { position: T - 1, token: 0, minusToken: null };
  const samples = { forward: [] as number[], backward: [] as number[], attribution: [] as number[] };
  for (let i = 0; i <= runs; i++) {
    model.reset();
    const fwd = await timed(() => model.forward(ids, { logits: 'all' }));
    const bwd = await timed(() => gpt2Gradients(model, ids, target));
    const att = await timed(() => featureAttribution(model, ids, { position: T - 1, token: null }));
    if (i === 0) continue; // warm-up: pipelines compile
    samples.forward.push(fwd);
    samples.backward.push(bwd);
    samples.attribution.push(att);
  }
  const forwardMs = median(samples.forward);
  const backwardMs = median(samples.backward);
  const attributionMs = median(samples.attribution);
  const out = {
    model: name, promptTokens: T, runs, forwardMs, backwardMs, attributionMs,
    backwardToForward: backwardMs / forwardMs, attributionToForward: attributionMs / forwardMs, samplesMs: samples,
  };
  log(`attribution (${name}, ${T} tokens): forward ${forwardMs.toFixed(1)} ms, backward ${backwardMs.toFixed(1)} ms (${out.backwardToForward.toFixed(2)}x), ` +
    `one attribution ${attributionMs.toFixed(1)} ms (${out.attributionToForward.toFixed(2)}x a forward; target <= 4x)`);
  return out;
}
