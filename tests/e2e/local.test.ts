// Local files through the picker, no network: a model folder, then an SAE folder for it, then
// one for another d_model (refused with a message, the loaded SAE kept). The folders are written
// to a temporary directory and picked as a user would (webkitdirectory inputs).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { parseSafetensors } from '../../src/model/safetensors';
import { randomModelSource } from '../helpers/files_source';
import { randomSaeLensFiles } from '../helpers/random_sae';
import { launch, openApp, ready, shot, writeFolder } from './browser';

const base = inject('baseUrl');
let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'glassbox-local-'));
  const model = randomModelSource(51, 64).files;
  writeFolder(dir, 'my-model', model);
  // the same model with a NaN in wte, and with a config whose n_embd the weights do not have
  const config = JSON.parse(new TextDecoder().decode(model['config.json']));
  const nan = model['model.safetensors'].slice(0);
  const wte = parseSafetensors(nan, 'model.safetensors').tensors.get('wte.weight')!;
  new DataView(nan).setFloat32(wte.begin + 4 * (2 * 96 + 7), NaN, true);
  writeFolder(dir, 'nan-model', { ...model, 'model.safetensors': nan });
  writeFolder(dir, 'mismatched-model', { ...model, 'config.json': JSON.stringify({ ...config, n_embd: 128, n_head: 5 }) });
  writeFolder(dir, 'my-sae', randomSaeLensFiles({ dIn: 96, dSae: 128, hookName: 'blocks.1.hook_resid_pre', arch: 'topk', k: 8, seed: 9 }));
  writeFolder(dir, 'wide-sae', randomSaeLensFiles({ dIn: 768, dSae: 256, hookName: 'blocks.1.hook_resid_pre', arch: 'standard', seed: 10 }));
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('local files', () => {
  it('loads a picked model folder, then an SAE folder for it, and refuses one for another d_model', async () => {
    const page = await openApp(browser, `${base}?prompt=${encodeURIComponent('local files')}`);
    await ready(page);
    const status = page.getByTestId('model-status');
    const picker = page.getByTestId('model-picker');
    await page.getByTestId('open-models').click();
    await picker.getByText('Model folder').locator('input').setInputFiles(join(dir, 'my-model'));
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toMatch(/ready.*local/s);
    expect(await page.getByTestId('feature-row').count()).toBe(0); // no SAE yet: tokens only
    await expect.poll(async () => (await page.getByTestId('token').allTextContents()).join('').replaceAll('·', ' '), { timeout: 30_000 }).toBe('local files');

    await page.getByTestId('open-models').click();
    await picker.getByText('SAE folder').locator('input').setInputFiles(join(dir, 'my-sae'));
    await expect.poll(() => page.getByTestId('feature-row').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    const ids = await page.getByTestId('feature-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-feature-id'))));
    expect(ids.every((id) => id < 128)).toBe(true);

    await page.getByTestId('open-models').click();
    await picker.getByText('SAE folder').locator('input').setInputFiles(join(dir, 'wide-sae'));
    await expect.poll(() => picker.getByTestId('picker-message').textContent(), { timeout: 30_000 }).toMatch(/SaeCompatibilityError: .*d_in is 768 .*d_model is 96/);
    await shot(page, '12-local-refused-sae');
    await picker.getByRole('button', { name: 'close' }).click();
    // the SAE that fits is still the one in use
    await page.getByTestId('prompt-input').fill('local files again');
    await expect.poll(async () => {
      const now = await page.getByTestId('feature-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-feature-id'))));
      return now.length > 0 && now.every((id) => id < 128);
    }, { timeout: 30_000 }).toBe(true);
    await page.context().close();
  });

  it('a model folder that fails to load changes nothing: the bundled model, its SAE and the prompt stay in service', async () => {
    const page = await openApp(browser, `${base}?prompt=${encodeURIComponent('the sea')}&steer=5c2`);
    await ready(page);
    const status = page.getByTestId('model-status');
    const picker = page.getByTestId('model-picker');
    const banner = page.getByTestId('error-banner');
    const rows = () => page.getByTestId('feature-row').count();
    await expect.poll(rows, { timeout: 60_000 }).toBeGreaterThan(0);
    for (const [folder, error, detail] of [
      ['nan-model', 'ModelFileError', /wte\.weight.*NaN at \[2, 7\]/],
      ['mismatched-model', 'ModelConfigError', /n_embd.*is 128 but model\.safetensors's wte\.weight is \[\d+,96\].*different models/],
    ] as const) {
      await page.getByTestId('open-models').click();
      await picker.getByText('Model folder').locator('input').setInputFiles(join(dir, folder));
      await expect.poll(() => banner.getAttribute('data-error'), { timeout: 60_000 }).toMatch(new RegExp(error));
      expect(await banner.textContent()).toMatch(detail);
      await expect.poll(() => page.getByTestId('kept-model').textContent()).toMatch(/glassbox-mini is still loaded/);
      await expect.poll(() => status.textContent()).toMatch(/ready.*glassbox-mini/s);
      expect(page.url()).toContain('steer=5c2');
      // still working: the token strip follows typing, features come, Generate is enabled
      await page.getByTestId('prompt-input').fill(`the sea ${folder}`);
      await expect.poll(async () => (await page.getByTestId('token').allTextContents()).join('').replaceAll('·', ' '), { timeout: 30_000 }).toBe(`the sea ${folder}`);
      expect(await rows()).toBeGreaterThan(0);
      expect(await page.getByTestId('generate').isEnabled()).toBe(true);
    }
    await shot(page, '13-failed-load-kept');
    // retrying means picking the files again; dismissing clears the banner
    await banner.getByRole('button', { name: 'Pick the files again' }).click();
    await expect.poll(() => picker.isVisible()).toBe(true);
    await picker.getByRole('button', { name: 'close' }).click();
    await banner.getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(() => banner.count()).toBe(0);
    await page.context().close();
  });

  it('a link made with a local model asks for the folder again, keeping the prompt and steering', async () => {
    const page = await openApp(browser, `${base}?prompt=${encodeURIComponent('from a link')}&model=local&steer=3a1.5`);
    const picker = page.getByTestId('model-picker');
    await expect.poll(() => picker.getByTestId('picker-notice').textContent(), { timeout: 30_000 }).toMatch(/local files.*Pick its folder again/);
    expect(await page.getByTestId('prompt-input').inputValue()).toBe('from a link');
    await shot(page, '14-local-link');
    await picker.getByText('Model folder').locator('input').setInputFiles(join(dir, 'my-model'));
    await expect.poll(() => page.getByTestId('model-status').textContent(), { timeout: 60_000 }).toMatch(/ready.*local/s);
    expect(await page.getByTestId('error-banner').count()).toBe(0);
    expect(await page.getByTestId('prompt-input').inputValue()).toBe('from a link');
    expect(page.url()).toContain('steer=3a1.5');
    await page.context().close();
  });
});
