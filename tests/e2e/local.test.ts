// Local files through the picker, no network: a model folder, then an SAE folder for it, then
// one for another d_model (refused with a message, the loaded SAE kept). The folders are written
// to a temporary directory and picked as a user would (webkitdirectory inputs).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { randomGpt2Files } from '../helpers/random_model';
import { randomSaeLensFiles } from '../helpers/random_sae';
import { BYTE_TOKENIZER_CONFIG, BYTE_TOKENIZER_VOCAB, EOT_ID, byteTokenizerJson } from '../helpers/byte_tokenizer';
import { launch, openApp, ready, shot, writeFolder } from './browser';

const base = inject('baseUrl');
let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'glassbox-local-'));
  const tiny = randomGpt2Files({ nLayers: 2, dModel: 96, nHeads: 3, vocab: BYTE_TOKENIZER_VOCAB, nCtx: 64, seed: 51 });
  writeFolder(dir, 'my-model', {
    'config.json': JSON.stringify({ ...JSON.parse(tiny.config), bos_token_id: EOT_ID, eos_token_id: EOT_ID }),
    'model.safetensors': tiny.safetensors,
    'tokenizer.json': byteTokenizerJson(),
    'tokenizer_config.json': BYTE_TOKENIZER_CONFIG,
  });
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
});
