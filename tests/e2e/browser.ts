// Playwright on Debian's chromium with WebGPU (SwiftShader), one fresh context per test.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumArgs, chromiumPath } from '../../tools/chromium.mjs';

export const SHOTS = 'tests/e2e/screenshots';
mkdirSync(SHOTS, { recursive: true });

export async function launch(webgpu = true): Promise<Browser> {
  const args = webgpu ? chromiumArgs : chromiumArgs.filter((a) => a !== '--enable-unsafe-webgpu');
  return chromium.launch({ executablePath: chromiumPath, args, headless: true });
}

export async function openApp(browser: Browser, url: string, colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(url);
  return page;
}

export async function ready(page: Page, timeout = 240_000): Promise<void> {
  await page.waitForSelector('[data-testid="model-status"][data-status="ready"]', { timeout });
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

/** Writes a folder of files under `dir` (a model or SAE folder a test picks as a user would); returns its path. */
export function writeFolder(dir: string, name: string, files: Record<string, string | Uint8Array | ArrayBuffer>): string {
  const d = join(dir, name);
  mkdirSync(d);
  for (const [f, data] of Object.entries(files)) writeFileSync(join(d, f), data instanceof ArrayBuffer ? new Uint8Array(data) : data);
  return d;
}
