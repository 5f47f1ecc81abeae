// The benchmark page: copy-kernel bandwidth, then prefill and decode on the bundled model (when
// present), on a random-weight model with GPT-2 small's exact shapes, with f32 weights and with
// f16 ones (the automatic choice where the adapter has shader-f16; measured here either way, and
// labelled so), and the onnxruntime-web peer, and on random-weight decoders with Gemma-3-270m's
// and Gemma-3-1b's shapes in f16 storage. The measuring code is in measure.ts, shared with the
// Node entry (node.ts). Results go to window.__bench for tools/bench/run.mjs. ?only=
// (BENCH_ONLY) narrows it: bundled, gpt2, gemma (both Gemma shapes), gemma-270m, gemma-1b, dashboards,
// keystroke (keystroke.ts; it also runs with bundled), attribution (attribution.ts; also with bundled).
import { requestGpu } from '../../src/gpu/device';
import { Gpu } from '../../src/gpu/gpu';
import { parseGpt2Config, type Gpt2Config } from '../../src/model/config';
import type { WeightDtype } from '../../src/gpu/f16';
import { parseSafetensors } from '../../src/model/safetensors';
import { gpt2Weights, type Weights } from '../../src/model/weights';
import { readSourceFile } from '../../src/store/sources';
import { TextTokenizer } from '../../src/model/tokenizer';
import { benchPeer } from './peer';
import { benchDashboards } from './dashboards';
import { benchKeystroke, KEYSTROKE_PROMPT } from './keystroke';
import { benchAttribution } from './attribution';
import { readTdaIndex } from '../../src/influence/load';
import { queryGradient, uploadProjections } from '../../src/influence/query_gradient';
import { scoreDocs } from '../../src/influence/index_file';
import { Gpt2 } from '../../src/model/gpt2';
import { Sae } from '../../src/sae/sae';
import { parseSaeLensConfig, saeLensWeights } from '../../src/sae/formats';
import {
  applyRoofline, benchModel, benchSae, copyBandwidth, DECODER_SHAPES, decoderConfig, decoderRunName, decoderRuns, gpt2SmallConfig, loadDecoder, loadModel,
  median, randomWeights, ROOFLINE_DEFINITION, selected, type ModelResult,
} from './measure';

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

/** The prompt the playground's keystroke latency is measured on (tools/bench/run.mjs types into it), about 40 tokens. */
const LATENCY_PROMPT = KEYSTROKE_PROMPT;

async function main() {
  const only = new URLSearchParams(location.search).get('only');
  const gpu = new Gpu(await requestGpu());
  const copyGBps = await copyBandwidth(gpu);
  log(`copy bandwidth ${copyGBps.toFixed(2)} GB/s`);
  const models: ModelResult[] = [];
  // a model is uploaded, measured and freed before the next one (GPT-2 small f32 takes 500 MB)
  const run = async (name: string, cfg: Gpt2Config, weights: Weights, dtype: WeightDtype, latencyIds?: number[]) => {
    const model = await loadModel(gpu, name, cfg, weights, dtype, log);
    const profilePrefill = new URLSearchParams(location.search).has('profile');
    const m = await benchModel(gpu, name, model, { log, latencyIds, profilePrefill });
    model.destroy();
    models.push(m);
    return m;
  };
  const bundled = selected(only, 'bundled') ? await readSourceFile({ kind: 'url', baseUrl: '/models/glassbox-mini/' }, 'config.json', true) : null;
  if (bundled) {
    const cfg = parseGpt2Config(new TextDecoder().decode(bundled));
    const src = { kind: 'url' as const, baseUrl: '/models/glassbox-mini/' };
    const st = await readSourceFile(src, 'model.safetensors', false);
    const tok = TextTokenizer.fromJson(new TextDecoder().decode((await readSourceFile(src, 'tokenizer.json', false))!), null);
    // the playground analyses the prompt plus the one typed character
    const latencyIds = tok.encode(LATENCY_PROMPT + ' s');
    const weights = gpt2Weights(parseSafetensors(st!, 'model.safetensors'), cfg);
    await run('glassbox-mini (bundled)', cfg, weights, 'f32', latencyIds);
  }
  const saes = [];
  if (selected(only, 'gpt2')) {
    const cfg = gpt2SmallConfig();
    const weights = randomWeights(cfg);
    for (const dtype of ['f32', 'f16'] as const) {
      const note = dtype === 'f16' && !gpu.ctx.features.shaderF16 ? ', not the automatic choice here: no shader-f16' : '';
      const m = await run(`GPT-2 small shapes (random weights, ${dtype}${note})`, cfg, weights, dtype);
      saes.push(await benchSae(gpu, m.decode.msPerStep, dtype, log));
    }
  }
  const peer = selected(only, 'gpt2') ? await benchPeer(log) : null;
  const dashboards = selected(only, 'dashboards') ? await benchDashboards(gpu, log) : null;
  const keystroke = selected(only, 'keystroke') || selected(only, 'bundled') ? await benchKeystroke(gpu, log) : null;
  const attribution = selected(only, 'attribution') || selected(only, 'bundled') ? await bundledAttribution(gpu) : null;
  // Gemma 3 shapes (random weights made straight into GPU buffers, tensor by tensor)
  const fallback = gpu.ctx.adapter.isFallbackAdapter;
  for (const [shape, dtype] of DECODER_SHAPES.filter((d) => selected(only, d.key)).flatMap((d) => d.dtypes.map((t) => [d, t] as const))) {
    const name = decoderRunName(gpu, shape.label, dtype);
    const runs = decoderRuns(shape.key, fallback);
    const model = await loadDecoder(gpu, name, decoderConfig(shape.config), dtype, log);
    const profilePrefill = new URLSearchParams(location.search).has('profile');
    const opts = { log, prefillRuns: runs.prefill, decodeSteps: runs.decodeSteps, forwardRuns: runs.forwardPrompt, decodeContext: 16, profilePrefill };
    models.push(await benchModel(gpu, name, model, opts));
    model.destroy();
  }
  // f32 against the peer's f32 graph; a peer whose logits came out non-finite did not really run
  const ours = models.find((m) => m.config.nLayers === 12 && m.weightDtype === 'f32');
  const peerRatio = peer?.finiteLogits && ours ? { decode: ours.decode.msPerStep / peer.decode.msPerStep, prefill: ours.prefill.ms / peer.prefill.ms, glassbox: ours.name } : null;
  const copyAfter = await copyBandwidth(gpu);
  log(`copy bandwidth after: ${copyAfter.toFixed(2)} GB/s`);
  // The bandwidth drifts during a run (other load on a CPU adapter): the floor uses the mean of
  // the measurements before and after.
  const meanGBps = (copyGBps + copyAfter) / 2;
  applyRoofline(models, meanGBps, log);
  window.__bench = {
    date: new Date().toISOString(),
    adapter: gpu.ctx.adapter,
    features: gpu.ctx.features,
    userAgent: navigator.userAgent,
    copyGBps: meanGBps,
    copyGBpsBefore: copyGBps,
    copyGBpsAfter: copyAfter,
    rooflineDefinition: ROOFLINE_DEFINITION,
    models,
    saes,
    peer,
    /** Glassbox time ÷ peer time, same shapes, same adapter, same run (below 1: Glassbox is faster). */
    peerRatio,
    latencyPrompt: LATENCY_PROMPT,
    /** Dashboard-build tokens/s against plain prefill of the same contexts (tools/bench/dashboards.ts). */
    dashboards,
    /** Keystroke to updated strip at the engine: analyze after a typed character against a forward and a full analyze (tools/bench/keystroke.ts). */
    keystroke,
    /** The backward and one feature attribution against a forward of the same prompt (tools/bench/attribution.ts). */
    attribution,
  };
}

/** The bundled model and SAE, the keystroke prompt (about 40 tokens). */
async function bundledAttribution(gpu: Gpu) {
  const src = { kind: 'url' as const, baseUrl: '/models/glassbox-mini/' };
  const file = async (s: typeof src, f: string) => (await readSourceFile(s, f, false))!;
  const cfg = parseGpt2Config(new TextDecoder().decode(await file(src, 'config.json')));
  const model = new Gpt2(gpu, cfg, gpt2Weights(parseSafetensors(await file(src, 'model.safetensors'), 'model.safetensors'), cfg));
  const saeSrc = { kind: 'url' as const, baseUrl: '/models/glassbox-mini/sae/blocks.2.hook_resid_pre/' };
  const saeCfg = parseSaeLensConfig(new TextDecoder().decode(await file(saeSrc, 'cfg.json')));
  const sae = new Sae(gpu, saeCfg, saeLensWeights(parseSafetensors(await file(saeSrc, 'sae_weights.safetensors'), 'sae_weights.safetensors'), saeCfg));
  model.attachSae(sae, 32);
  const tok = TextTokenizer.fromJson(new TextDecoder().decode(await file(src, 'tokenizer.json')), null);
  try {
    await model.warm();
    const ids = tok.encode(LATENCY_PROMPT);
    const res = await benchAttribution(gpu, 'glassbox-mini (bundled) + its SAE', model, ids, log, 7);
    // training-data attribution: the query's projected gradient (a forward and a backward) and scoring the index
    const index = (await readTdaIndex(async (f) => new Blob([await file(src, f)])))!;
    const proj = uploadProjections(gpu, index);
    const query = [index.bosId ?? 0, ...ids];
    const times: number[] = [];
    for (let i = 0; i <= 5; i++) {
      const t0 = performance.now();
      const { q } = await queryGradient(model, proj, index, query, query.length - 1);
      scoreDocs(index, q, 8);
      if (i > 0) times.push(performance.now() - t0);
    }
    proj.destroy();
    const influenceMs = median(times);
    log(`  training-data attribution over ${index.nDocs} documents (${query.length} tokens, the last one the completion): ${influenceMs.toFixed(1)} ms = ${(influenceMs / res.forwardMs).toFixed(2)}x a forward`);
    return { ...res, influenceMs, influenceToForward: influenceMs / res.forwardMs, influenceDocs: index.nDocs };
  } finally {
    model.destroy(); // the attached SAE goes with it
  }
}

main().catch((e) => {
  console.error(e);
  window.__benchError = String(e?.stack ?? e);
});
