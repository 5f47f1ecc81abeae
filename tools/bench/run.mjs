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
  mkdirSync('bench', { recursive: true });
  writeFileSync('bench/results.json', JSON.stringify(results, null, 2) + '\n');
  console.log(`\nGlassbox benchmark — ${results.adapter.vendor}/${results.adapter.architecture}` +
    `${results.adapter.isFallbackAdapter ? ' (fallback adapter)' : ''}, ${results.date}`);
  console.log(`copy bandwidth: ${results.copyGBps.toFixed(2)} GB/s (read + write)\n`);
  const rows = results.models.map((m) => ({
    model: m.name,
    'prefill T=128 tok/s': m.prefill.tokensPerSec.toFixed(2),
    'decode tok/s': m.decode.tokensPerSec.toFixed(2),
    'decode ms/step': m.decode.msPerStep.toFixed(1),
    'floor ms/step': m.decode.floorMs.toFixed(1),
    'roofline ratio': m.decode.rooflineRatio.toFixed(2),
  }));
  console.table(rows);
  console.log('wrote bench/results.json');
} finally {
  await browser.close();
  await server.close();
}
