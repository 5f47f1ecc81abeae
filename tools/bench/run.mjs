// `npm run bench`: serves the bench page with Vite, runs it in headless chromium (WebGPU), writes
// bench/results.json and prints a table. Timings are medians after warm-up; ratios are computed
// against a copy kernel's bandwidth measured in the same page, same run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'vite';
import { chromium } from 'playwright-core';
import { chromiumArgs, chromiumPath } from '../chromium.mjs';

const server = await createServer({ logLevel: 'warn', server: { host: '127.0.0.1', port: 0 } });
await server.listen();
const base = server.resolvedUrls.local[0];
const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log(`  ${m.text()}`));
  page.on('pageerror', (e) => console.error(`  page error: ${e.message}`));
  const q = new URLSearchParams();
  if (process.env.BENCH_ONLY) q.set('only', process.env.BENCH_ONLY);
  if (process.env.BENCH_PROFILE) q.set('profile', '1');
  const only = q.size ? `?${q}` : '';
  await page.goto(`${base}tools/bench/index.html${only}`);
  await page.waitForFunction(() => window.__bench || window.__benchError, null, { timeout: 80 * 60_000, polling: 1000 });
  const error = await page.evaluate(() => window.__benchError);
  if (error) throw new Error(error);
  const results = await page.evaluate(() => window.__bench);
  if (results.keystroke) results.latency = await keystrokeLatency(browser, base, results);
  mkdirSync('bench', { recursive: true });
  // BENCH_OUT: another file, for a partial run (BENCH_ONLY) that must not replace the full results
  const out = process.env.BENCH_OUT ?? 'bench/results.json';
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nGlassbox benchmark — ${results.adapter.vendor}/${results.adapter.architecture}` +
    `${results.adapter.isFallbackAdapter ? ' (fallback adapter)' : ''}, ${results.date}`);
  console.log(`copy bandwidth: ${results.copyGBps.toFixed(2)} GB/s (read + write; ${results.copyGBpsBefore.toFixed(2)} before, ${results.copyGBpsAfter.toFixed(2)} after)\n`);
  const rows = results.models.map((m) => ({
    model: m.name,
    'prefill T=128 tok/s': m.prefill.tokensPerSec.toFixed(2),
    'decode tok/s': m.decode.tokensPerSec.toFixed(2),
    'decode ms/step': m.decode.msPerStep.toFixed(1),
    'floor ms/step': m.decode.floorMs.toFixed(1),
    'roofline ratio': m.decode.rooflineRatio.toFixed(2),
  }));
  if (rows.length) console.table(rows);
  if (results.peer && !results.peerRatio) console.log(`peer ${results.peer.name}: its logits were not finite; no ratio`);
  if (results.peerRatio) {
    const p = results.peer;
    const r = results.peerRatio;
    console.log(`peer ${p.name}, GPT-2 small shapes: prefill T=128 ${p.prefill.tokensPerSec.toFixed(2)} tok/s, decode ${p.decode.msPerStep.toFixed(1)} ms/step; ` +
      `Glassbox (${r.glassbox}) time / peer time: decode ${r.decode.toFixed(2)}, prefill ${r.prefill.toFixed(2)}`);
  }
  if (results.keystroke) {
    const k = results.keystroke;
    console.log(`keystroke at the engine (bundled model, ${k.promptTokens} tokens): analyze after a typed character ${k.appendAnalyzeMs.toFixed(1)} ms = ` +
      `${k.appendToForward.toFixed(2)}x one forward of the prompt (${k.forwardMs.toFixed(1)} ms), ${k.appendToFullAnalyze.toFixed(2)}x a full analyze (${k.fullAnalyzeMs.toFixed(1)} ms)`);
  }
  if (results.latency) {
    const l = results.latency;
    console.log(`keystroke -> updated token strip in the playground (bundled model, ${l.promptTokens} tokens, no debounce): ${l.medianMs.toFixed(0)} ms ` +
      `= ${l.ratioToForward.toFixed(2)}x one forward pass of the prompt (${l.forwardMs.toFixed(0)} ms), ${l.ratioToFullAnalyze.toFixed(2)}x a full analyze`);
  }
  for (const s of results.saes) {
    console.log(`SAE encode + top-k (S=${s.dSae}, C=${s.dIn}, W_enc ${s.encDtype}): ${s.msPerTokenDecode.toFixed(1)} ms/token at T=1 = ` +
      `${s.ratioToDecodeStep.toFixed(3)} of a ${s.encDtype} decode step; ` +
      `${s.msPerTokenBatched64.toFixed(1)} ms/token batched at T=64 = ${s.ratioToDecodeStepBatched64.toFixed(3)}`);
  }
  if (results.dashboards) {
    const d = results.dashboards;
    console.log(`dashboard build (bundled, contexts of ${d.ctxLen}): ${d.buildTokensPerSec.toFixed(0)} tok/s; prefill ${d.prefillTokensPerSec.toFixed(0)} tok/s with the SAE, ` +
      `${d.prefillNoSaeTokensPerSec.toFixed(0)} without; ratio ${d.ratio.toFixed(2)} (${d.ratioNoSae.toFixed(2)} to the model alone); ` +
      `forward passes ${(d.forwardShare * 100).toFixed(0)}% of the build's time`);
  }
  if (results.attribution) {
    const a = results.attribution;
    console.log(`attribution (${a.model}, ${a.promptTokens} tokens): backward ${a.backwardMs.toFixed(1)} ms = ${a.backwardToForward.toFixed(2)}x a forward (${a.forwardMs.toFixed(1)} ms); ` +
      `one feature attribution ${a.attributionMs.toFixed(1)} ms = ${a.attributionToForward.toFixed(2)}x (target <= 4x)` +
      (a.influenceMs ? `; training-data attribution over ${a.influenceDocs} documents ${a.influenceMs.toFixed(1)} ms = ${a.influenceToForward.toFixed(2)}x` : ''));
  }
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
}

/** Types into the playground and times keystroke -> token strip updated, in the page's own clock. */
async function keystrokeLatency(browser, base, results) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const prompt = results.latencyPrompt;
  await page.goto(`${base}?prompt=${encodeURIComponent(prompt)}`);
  await page.waitForSelector('[data-testid="model-status"][data-status="ready"]', { timeout: 300_000 });
  await page.waitForSelector('[data-testid="token"]', { timeout: 120_000 });
  const input = page.getByTestId('prompt-input');
  await input.focus();
  await page.keyboard.press('End');
  const samples = [];
  for (let i = 0; i < 7; i++) {
    const ms = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const strip = document.querySelector('[aria-label="tokens"]');
          const t0 = performance.now();
          const obs = new MutationObserver(() => {
            obs.disconnect();
            resolve(performance.now() - t0);
          });
          obs.observe(strip, { childList: true, subtree: true, characterData: true });
          const el = document.querySelector('[data-testid="prompt-input"]');
          el.value += el.value.endsWith(' s') ? 'a' : ' s';
          el.dispatchEvent(new Event('input', { bubbles: true }));
        }),
    );
    if (i > 1) samples.push(ms);
    await page.waitForTimeout(400);
  }
  await page.close();
  samples.sort((a, b) => a - b);
  const medianMs = samples[Math.floor(samples.length / 2)];
  // the forward and the full analyze of the same prompt, measured in the bench page of this run
  const { forwardMs, fullAnalyzeMs, promptTokens } = results.keystroke;
  return { promptTokens, medianMs, debounceMs: 0, forwardMs, ratioToForward: medianMs / forwardMs, ratioToFullAnalyze: medianMs / fullAnalyzeMs, samplesMs: samples };
}
