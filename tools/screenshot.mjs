// Takes headless-chromium screenshots of the built page (npm run build first):
//   node tools/screenshot.mjs [out.png] [--dark] [--generate]
// Serves dist/ with vite preview on a free port, waits for the model to be ready (or an error).
import { preview } from 'vite';
import { chromium } from 'playwright-core';
import { chromiumArgs, chromiumPath } from './chromium.mjs';

const out = process.argv.find((a) => a.endsWith('.png')) ?? 'screenshot.png';
const server = await preview({ preview: { host: '127.0.0.1', port: 0 }, logLevel: 'warn' });
const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: process.argv.includes('--dark') ? 'dark' : 'light' });
  page.on('console', (m) => console.log(`  page: ${m.text()}`));
  await page.goto(server.resolvedUrls.local[0]);
  await page.waitForSelector('[data-testid="model-status"][data-status="ready"], [data-testid="error-banner"]', { timeout: 300_000 });
  await page.waitForSelector('[data-testid="token"], [data-testid="error-banner"]', { timeout: 120_000 });
  if (process.argv.includes('--generate')) {
    await page.getByRole('button', { name: 'Generate' }).click();
    await page.waitForSelector('button.primary', { timeout: 300_000 });
  }
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  server.httpServer.close();
}
