// Dashboard-build throughput on the bundled model and SAE (BENCH_ONLY=dashboards): tokens/s of a
// build from the bundled corpus (src/dashboards/run.ts) against plain prefill of the same contexts
// (same chunk: one context per forward, logits 'none'), with the SAE attached (the forward the build
// runs, minus collection) and without it, in three alternating rounds (medians reported), as the
// CPU adapter's speed drifts with other load.
import type { Gpu } from '../../src/gpu/gpu';
import { parseGpt2Config } from '../../src/model/config';
import { Gpt2 } from '../../src/model/gpt2';
import { parseSafetensors } from '../../src/model/safetensors';
import { TextTokenizer } from '../../src/model/tokenizer';
import { gpt2Weights } from '../../src/model/weights';
import { parseSaeLensConfig, saeLensWeights } from '../../src/sae/formats';
import { Sae } from '../../src/sae/sae';
import { readSourceFile } from '../../src/store/sources';
import { cutContexts, parseCorpus } from '../../src/dashboards/corpus';
import { runBuild, tokenizeFor } from '../../src/dashboards/run';

const BASE = '/models/glassbox-mini/';

export interface DashboardsBench {
  model: string;
  ctxLen: number;
  tokens: number;
  buildTokensPerSec: number;
  /** Same contexts, one forward each, logits 'none', the SAE attached (its top-K read back). */
  prefillTokensPerSec: number;
  prefillNoSaeTokensPerSec: number;
  /** build / prefill: the target is >= 0.8. */
  ratio: number;
  ratioNoSae: number;
  /** Each round's figures (prefill with the SAE, build, prefill without), in order. */
  rounds: Array<{ prefill: number; build: number; noSae: number; forwardShare: number }>;
  /**
   * Median share of the build's time spent in the forward passes: the build's speed relative to a
   * prefill timed in the same moments, robust to the drift that separate timings suffer.
   */
  forwardShare: number;
}

export async function benchDashboards(gpu: Gpu, log: (s: string) => void, ctxLen = 128, contexts = 8): Promise<DashboardsBench> {
  const src = { kind: 'url' as const, baseUrl: BASE };
  const text = async (f: string) => new TextDecoder().decode((await readSourceFile(src, f, false))!);
  const cfg = parseGpt2Config(await text('config.json'));
  const model = new Gpt2(gpu, cfg, gpt2Weights(parseSafetensors((await readSourceFile(src, 'model.safetensors', false))!, 'model.safetensors'), cfg), 'f32');
  await model.warm();
  const saeSrc = { kind: 'url' as const, baseUrl: `${BASE}sae/blocks.2.hook_resid_pre/` };
  const saeCfg = parseSaeLensConfig(new TextDecoder().decode((await readSourceFile(saeSrc, 'cfg.json', false))!));
  const sae = new Sae(gpu, saeCfg, saeLensWeights(parseSafetensors((await readSourceFile(saeSrc, 'sae_weights.safetensors', false))!, 'sae_weights.safetensors'), saeCfg));
  model.attachSae(sae, 32);
  const tokenizer = TextTokenizer.fromJson(await text('tokenizer.json'), await text('tokenizer_config.json'));
  const corpus = { kind: 'url' as const, url: `${BASE}corpus.jsonl`, name: 'corpus.jsonl' };
  const docs = await parseCorpus(new Uint8Array(await (await fetch(corpus.url)).arrayBuffer()), corpus.name);
  const ctx = cutContexts(docs, tokenizeFor(tokenizer, model.eosIds), ctxLen, ctxLen * contexts);
  const prefill = async () => {
    const t0 = performance.now();
    for (let c = 0; c < ctx.n; c++) {
      model.reset();
      await model.forward(ctx.ids.subarray(c * ctxLen, (c + 1) * ctxLen), { logits: 'none' });
    }
    return (ctx.n * ctxLen * 1000) / (performance.now() - t0);
  };
  const build = async (n: number) =>
    runBuild({ gpu, model, tokenizer, hookName: saeCfg.hookName }, { corpus, ctxLen, nTokens: n * ctxLen, model: 'glassbox-mini', sae: 'bench', restart: true }, () => {}, () => false);
  await build(2); // warm-up: the statistics and gather pipelines
  await prefill();
  // alternating rounds, medians: the CPU adapter's speed drifts with other load on the machine
  const rounds: Array<{ prefill: number; build: number; noSae: number; forwardShare: number }> = [];
  for (let r = 0; r < 3; r++) {
    const p = await prefill();
    const res = await build(ctx.n);
    const b = res.tokensPerSec;
    model.attachSae(null);
    const noSae = await prefill();
    model.attachSae(sae, 32);
    rounds.push({ prefill: p, build: b, noSae, forwardShare: res.forwardShare });
  }
  model.attachSae(null);
  model.destroy();
  sae.destroy();
  const median = (k: 'prefill' | 'build' | 'noSae' | 'forwardShare') => rounds.map((r) => r[k]).sort((a, b) => a - b)[1];
  const [buildTokensPerSec, prefillTokensPerSec, noSae] = [median('build'), median('prefill'), median('noSae')];
  const out = {
    model: 'glassbox-mini (bundled)', ctxLen, tokens: ctx.n * ctxLen, buildTokensPerSec, prefillTokensPerSec, prefillNoSaeTokensPerSec: noSae,
    ratio: buildTokensPerSec / prefillTokensPerSec, ratioNoSae: buildTokensPerSec / noSae, rounds, forwardShare: median('forwardShare'),
  };
  log(`dashboards: build ${buildTokensPerSec.toFixed(0)} tok/s over ${out.tokens} tokens (contexts of ${ctxLen}); prefill ${prefillTokensPerSec.toFixed(0)} tok/s with the SAE, ${noSae.toFixed(0)} without (medians of 3 alternating rounds): ratio ${out.ratio.toFixed(2)} (${out.ratioNoSae.toFixed(2)} to the model alone); forward passes take ${(out.forwardShare * 100).toFixed(0)}% of the build's time`);
  return out;
}
