// Keystroke to updated strip, at the engine (BENCH_ONLY=keystroke; it runs with `bundled` too).
// The bundled model and SAE in an Engine (no worker), a prompt of about 40 tokens, each figure the
// median of `runs` after a warm-up, the three interleaved in one loop (so that the load of a shared
// machine weighs on them alike):
//   forwardMs       one forward of the prompt (the model alone, built beside the engine on the
//                   page's Gpu; logits of the last row)
//   fullAnalyzeMs   one analyze of the prompt from an empty cache (forward + SAE + top-k)
//   appendAnalyzeMs analyze after one character is appended to the analysed prompt: the KV cache
//                   of the shared prefix is kept and only the new tokens run (Engine.analyze)
// tools/bench/run.mjs adds the playground's own figure (results.latency): keystroke to updated
// strip through the worker and the UI, typed into the page.
import type { Gpu } from '../../src/gpu/gpu';
import { parseGpt2Config } from '../../src/model/config';
import { Gpt2 } from '../../src/model/gpt2';
import { parseSafetensors } from '../../src/model/safetensors';
import { gpt2Weights } from '../../src/model/weights';
import { readSourceFile } from '../../src/store/sources';
import { Engine } from '../../src/worker/engine';
import { median, type Log } from './measure';

const MODEL = '/models/glassbox-mini/';
const SAE = `${MODEL}sae/blocks.2.hook_resid_pre/`;

/** The prompt the keystroke figures are measured on, in the page and in the playground (about 40 tokens of the bundled tokenizer). */
export const KEYSTROKE_PROMPT =
  'The ship sailed across the ocean and the whale swam under the waves, while the crew sang songs of home and the old captain watched the stars above the quiet harbour at night';

export async function benchKeystroke(gpu: Gpu, log: Log, runs = 9) {
  const engine = new Engine();
  const src = { kind: 'url' as const, baseUrl: MODEL };
  const cfg = parseGpt2Config(new TextDecoder().decode((await readSourceFile(src, 'config.json', false))!));
  const model = new Gpt2(gpu, cfg, gpt2Weights(parseSafetensors((await readSourceFile(src, 'model.safetensors', false))!, 'model.safetensors'), cfg));
  try {
    await model.warm();
    await engine.load(src, undefined, { kind: 'url', baseUrl: SAE });
    const prompt = KEYSTROKE_PROMPT;
    const { ids } = await engine.tokenize(prompt);
    const timed = async (fn: () => Promise<unknown>) => {
      const t0 = performance.now();
      await fn();
      return performance.now() - t0;
    };
    // Each round: the forward; a prompt with nothing in common (another first token), which leaves
    // nothing to reuse; the prompt analysed whole; the prompt plus one typed character, which
    // reuses the prompt's prefix. The first round is the warm-up.
    const other = 'A fish in the sea';
    if ((await engine.tokenize(other)).ids[0] === ids[0]) throw new Error('keystroke bench: the two prompts must start with different tokens');
    const chars = 'sadnet';
    const forwardMs: number[] = [];
    const fullMs: number[] = [];
    const appendMs: number[] = [];
    for (let i = 0; i <= runs; i++) {
      model.reset();
      const fwd = await timed(() => model.forward(ids, { logits: 'last' }));
      await engine.analyze({ text: other });
      const full = await timed(() => engine.analyze({ text: prompt }));
      const append = await timed(() => engine.analyze({ text: prompt + chars[i % chars.length] }));
      if (i > 0) {
        forwardMs.push(fwd);
        fullMs.push(full);
        appendMs.push(append);
      }
    }
    const forward = { median: median(forwardMs), samples: forwardMs };
    const full = { median: median(fullMs), samples: fullMs };
    const append = { median: median(appendMs), samples: appendMs };
    const appendTokens = (await engine.tokenize(prompt + chars[0])).ids.length;
    const out = {
      promptTokens: ids.length,
      appendedTokens: appendTokens,
      runs,
      forwardMs: forward.median,
      fullAnalyzeMs: full.median,
      appendAnalyzeMs: append.median,
      /** appendAnalyzeMs / forwardMs and / fullAnalyzeMs. */
      appendToForward: append.median / forward.median,
      appendToFullAnalyze: append.median / full.median,
      samplesMs: { forward: forward.samples, fullAnalyze: full.samples, appendAnalyze: append.samples },
    };
    log(
      `keystroke (engine, bundled, ${ids.length} tokens): forward ${out.forwardMs.toFixed(1)} ms, full analyze ${out.fullAnalyzeMs.toFixed(1)} ms, ` +
        `analyze after a typed character ${out.appendAnalyzeMs.toFixed(1)} ms = ${out.appendToForward.toFixed(2)}x the forward, ${out.appendToFullAnalyze.toFixed(2)}x the full analyze`,
    );
    return out;
  } finally {
    model.destroy();
    await engine.dispose();
  }
}
