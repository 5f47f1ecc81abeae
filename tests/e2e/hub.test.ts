// GPT-2 from the Hub as a user gets it: the model picker, against a local server in the Hub's
// layout (?hub=). The repos carry the catalog's real names but tiny GPT-2-layout files (full-size
// loading is proven in tests/gpu/hub.test.ts): download with progress, cancel, resume with a
// Range request, f16 weights chosen in the picker, features from an SAE without labels, labels
// imported from a URL, then a reload with the server gone: model, SAE and labels from the cache.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { HubServer } from '../helpers/hub_server';
import { randomGpt2Files } from '../helpers/random_model';
import { randomSaeLensFiles } from '../helpers/random_sae';
import { BYTE_TOKENIZER_CONFIG, BYTE_TOKENIZER_VOCAB, EOT_ID, byteTokenizerJson } from '../helpers/byte_tokenizer';
import { launch, openApp, ready, shot } from './browser';

const base = inject('baseUrl');
const MODEL_REPO = 'openai-community/gpt2';
const SAE_REPO = 'jbloom/GPT2-Small-SAEs-Reformatted';
let browser: Browser;
let hub: HubServer;
let hubUrl: string;

beforeAll(async () => {
  hub = new HubServer();
  const tiny = randomGpt2Files({ nLayers: 2, dModel: 96, nHeads: 3, vocab: BYTE_TOKENIZER_VOCAB, nCtx: 64, seed: 41 });
  hub.add(MODEL_REPO, 'config.json', JSON.stringify({ ...JSON.parse(tiny.config), bos_token_id: EOT_ID, eos_token_id: EOT_ID }));
  hub.add(MODEL_REPO, 'model.safetensors', tiny.safetensors);
  hub.add(MODEL_REPO, 'tokenizer.json', byteTokenizerJson());
  hub.add(MODEL_REPO, 'tokenizer_config.json', BYTE_TOKENIZER_CONFIG);
  const sae = randomSaeLensFiles({ dIn: 96, dSae: 256, hookName: 'blocks.1.hook_resid_pre', arch: 'standard', seed: 8, modelName: 'gpt2-small' });
  for (const [name, buf] of Object.entries(sae)) hub.add(SAE_REPO, `blocks.1.hook_resid_pre/${name}`, new Uint8Array(buf));
  // a Neuronpedia explanations export (the API's shape: string indices) for every feature
  const explanations = Array.from({ length: 256 }, (_, i) => ({ modelId: 'gpt2-small', layer: '1-res-jb', index: String(i), description: `concept number ${i}` }));
  hub.add('test/labels', 'explanations.json', JSON.stringify(explanations));
  hubUrl = await hub.start();
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await hub?.stop();
});

describe('models from the Hub', () => {
  it('picks GPT-2 and an SAE, shows the download, cancels, resumes, and reopens offline from the cache', async () => {
    const page = await openApp(browser, `${base}?hub=${encodeURIComponent(hubUrl)}&prompt=${encodeURIComponent('hello there')}`);
    await ready(page);
    const status = page.getByTestId('model-status');
    // every request to the Hub, the worker's downloads included
    const toHub: string[] = [];
    page.context().on('request', (r) => void (r.url().startsWith(hubUrl) && toHub.push(r.url())));

    // 1. a slow download: progress with speed and time left, then cancel
    await fetch(`${hubUrl}/__arm-slow/${MODEL_REPO}/model.safetensors`);
    await page.getByTestId('open-models').click();
    const picker = page.getByTestId('model-picker');
    await picker.getByLabel('SAE', { exact: true }).selectOption('gpt2-small-res-jb/1');
    await picker.getByLabel('weight storage').selectOption('f16');
    await shot(page, '08-picker');
    await picker.getByRole('button', { name: 'Load', exact: true }).click();
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toMatch(/model\.safetensors.*MB\/s/s);
    expect(await status.textContent()).toMatch(/left/);
    await shot(page, '09-hub-download');
    await status.getByRole('button', { name: 'Cancel' }).click();
    const banner = page.getByTestId('error-banner');
    await banner.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await banner.getAttribute('data-error')).toBe('DownloadCancelled');
    await ready(page); // the bundled model is back in service
    expect(await status.textContent()).toMatch(/glassbox-mini/);

    // 2. resume: the rest of the file comes with a Range request, and the model runs in f16
    await banner.getByRole('button', { name: 'Resume download' }).click();
    await expect.poll(() => status.textContent(), { timeout: 120_000 }).toMatch(/ready.*gpt2.*f16/s);
    const log = hub.log.filter((e) => e.path === `${MODEL_REPO}/model.safetensors`);
    expect(log.some((e) => e.status === 206 && e.range !== null)).toBe(true);
    // no labels for this SAE: the list shows its features (d_sae 256), named by their top tokens this session
    const saeFeatures = async () => {
      const ids = await page.getByTestId('feature-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-feature-id'))));
      return ids.length > 0 && ids.every((id) => id < 256);
    };
    await expect.poll(saeFeatures, { timeout: 60_000 }).toBe(true);
    expect(await page.getByTestId('feature-row').first().textContent()).toMatch(/fires on “/);
    const url = new URL(page.url());
    expect([url.searchParams.get('model'), url.searchParams.get('sae'), url.searchParams.get('hub')]).toEqual(['gpt2', 'gpt2-small-res-jb/1', hubUrl]);
    await shot(page, '10-hub-loaded');

    // labels: a Neuronpedia export imported from a URL names the features, and is kept
    await page.getByTestId('open-models').click();
    await picker.getByLabel('labels URL').fill(`${hubUrl}/test/labels/resolve/main/explanations.json`);
    await picker.getByRole('button', { name: 'Import labels' }).click();
    await expect.poll(() => picker.getByTestId('picker-message').textContent(), { timeout: 30_000 }).toMatch(/Imported 256 feature labels.*kept/);
    await picker.getByRole('button', { name: 'close' }).click();
    const labelled = async () => {
      const row = page.getByTestId('feature-row').first();
      return `${await row.textContent()}`.includes(`concept number ${await row.getAttribute('data-feature-id')}`);
    };
    await expect.poll(labelled, { timeout: 10_000 }).toBe(true);

    // 3. the Hub goes away; a reload opens the same model and SAE from the browser's cache
    expect(toHub.some((u) => u.endsWith(`${MODEL_REPO}/resolve/main/model.safetensors`))).toBe(true); // the listener sees the worker
    await hub.stop();
    toHub.length = 0;
    await page.reload();
    await expect.poll(() => status.textContent(), { timeout: 120_000 }).toMatch(/ready.*gpt2.*f16/s);
    await expect.poll(saeFeatures, { timeout: 60_000 }).toBe(true);
    await expect.poll(labelled, { timeout: 10_000 }).toBe(true);
    expect(toHub).toEqual([]);
    await shot(page, '11-hub-offline-reload');
    await page.context().close();
  });

  it('loads a model and an SAE by repo id; the link names both and reopens them', async () => {
    await hub.stop(); // the first test took the Hub away: a fresh one
    hubUrl = await hub.start();
    const page = await openApp(browser, `${base}?hub=${encodeURIComponent(hubUrl)}&prompt=${encodeURIComponent('by id')}`);
    await ready(page);
    const status = page.getByTestId('model-status');
    const picker = page.getByTestId('model-picker');
    await page.getByTestId('open-models').click();
    await picker.getByLabel('Hub repo id').fill(MODEL_REPO);
    await picker.getByRole('button', { name: 'Load model' }).click();
    await expect.poll(() => status.textContent(), { timeout: 120_000 }).toMatch(/ready.*openai-community\/gpt2/s);
    await page.getByTestId('open-models').click();
    await picker.getByLabel('Hub repo id').fill(`${SAE_REPO}/blocks.1.hook_resid_pre`);
    await picker.getByRole('button', { name: 'Load SAE' }).click();
    const saeFeatures = async () => {
      const ids = await page.getByTestId('feature-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-feature-id'))));
      return ids.length > 0 && ids.every((id) => id < 256);
    };
    await expect.poll(saeFeatures, { timeout: 60_000 }).toBe(true);
    const url = new URL(page.url());
    expect([url.searchParams.get('model'), url.searchParams.get('sae')]).toEqual([MODEL_REPO, `${SAE_REPO}/blocks.1.hook_resid_pre`]);
    // the link, opened fresh, loads the same model and SAE
    const again = await openApp(browser, url.href);
    await expect.poll(() => again.getByTestId('model-status').textContent(), { timeout: 120_000 }).toMatch(/ready.*openai-community\/gpt2/s);
    await expect.poll(async () => {
      const ids = await again.getByTestId('feature-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-feature-id'))));
      return ids.length > 0 && ids.every((id) => id < 256);
    }, { timeout: 60_000 }).toBe(true);
    expect(new URL(again.url()).searchParams.get('sae')).toBe(`${SAE_REPO}/blocks.1.hook_resid_pre`);
    await again.context().close();
    await page.context().close();
  });

  it('a Hub model whose SAE cannot be had changes nothing: the bundled model and its SAE stay, with a banner', async () => {
    await hub.stop();
    hubUrl = await hub.start();
    const page = await openApp(browser, `${base}?hub=${encodeURIComponent(hubUrl)}&prompt=${encodeURIComponent('stay put')}`);
    await ready(page);
    await expect.poll(() => page.getByTestId('feature-row').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    const picker = page.getByTestId('model-picker');
    await page.getByTestId('open-models').click();
    await picker.getByLabel('SAE', { exact: true }).selectOption('gpt2-small-res-jb/0'); // the server has no layer-0 folder
    await picker.getByRole('button', { name: 'Load', exact: true }).click();
    const banner = page.getByTestId('error-banner');
    await banner.waitFor({ state: 'visible', timeout: 120_000 });
    expect(await banner.getAttribute('data-error')).toBe('ModelFileError');
    expect(await banner.textContent()).toMatch(/cfg\.json.*blocks\.0\.hook_resid_pre/s);
    await expect.poll(() => page.getByTestId('kept-model').textContent()).toMatch(/glassbox-mini is still loaded/);
    expect(await page.getByTestId('model-status').textContent()).toMatch(/ready.*glassbox-mini/s);
    expect(new URL(page.url()).searchParams.get('model')).toBeNull(); // the URL still names the bundled model
    // the bundled SAE still answers: features for a new prompt
    await page.getByTestId('prompt-input').fill('still here');
    await expect.poll(async () => (await page.getByTestId('token').allTextContents()).join(''), { timeout: 30_000 }).toBe('still·here');
    expect(await page.getByTestId('feature-row').count()).toBeGreaterThan(0);
    await page.context().close();
  });
});
