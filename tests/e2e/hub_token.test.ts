// A gated Gemma repo loaded by its id, as a user does it: a local server in the Hub's layout serves
// a tiny Gemma 3 (Hub names, bf16, two shards with an index) behind a token check. Without the
// token: the typed error, with the prompt and the previous model kept. With it: the shards
// download and the model runs. The token never shows in the page's URL or goes to another origin.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { HubServer } from '../helpers/hub_server';
import { tinyGemmaRepo } from '../helpers/random_gemma';
import { launch, openApp, ready, shot } from './browser';

const base = inject('baseUrl');
const REPO = 'google/gemma-3-270m';
const TOKEN = 'hf_e2eSecretToken0123456789';
let browser: Browser;
let hub: HubServer;
let hubUrl: string;

beforeAll(async () => {
  hub = new HubServer();
  for (const [path, data] of Object.entries(tinyGemmaRepo(7))) hub.add(REPO, path, data);
  hub.gate(REPO, TOKEN);
  hubUrl = await hub.start();
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await hub?.stop();
});

describe('gated repos by id', () => {
  it('asks for a token, keeps the prompt and model, then loads the sharded bf16 Gemma with it', async () => {
    const prompt = 'gated hello';
    const page = await openApp(browser, `${base}?hub=${encodeURIComponent(hubUrl)}&prompt=${encodeURIComponent(prompt)}`);
    const requests: Array<Promise<{ url: string; headers: Record<string, string> }>> = [];
    page.context().on('request', (r) => void requests.push(r.allHeaders().then((headers) => ({ url: r.url(), headers }))));
    await ready(page);
    const status = page.getByTestId('model-status');
    const picker = page.getByTestId('model-picker');

    // 1. no token: the typed error, the bundled model still in service, the prompt kept
    await page.getByTestId('open-models').click();
    await picker.getByLabel('Hub repo id').fill(REPO);
    await picker.getByRole('button', { name: 'Load model' }).click();
    const banner = page.getByTestId('error-banner');
    await banner.waitFor({ state: 'visible', timeout: 60_000 });
    expect(await banner.getAttribute('data-error')).toBe('HubAuthError');
    expect(await banner.textContent()).toMatch(/Accept the licence on the model page.*access token/s);
    await ready(page);
    expect(await status.textContent()).toMatch(/glassbox-mini/);
    expect(new URL(page.url()).searchParams.get('prompt')).toBe(prompt);
    await shot(page, '12-hub-token-needed');

    // 2. the token, pasted in the picker: the index, then each shard, with the bearer header
    await page.getByTestId('open-models').click();
    await picker.getByLabel('access token').fill(TOKEN);
    await picker.getByLabel('access token').press('Tab'); // change: saved
    await picker.getByLabel('Hub repo id').fill(REPO);
    await picker.getByRole('button', { name: 'Load model' }).click();
    await expect.poll(() => status.textContent(), { timeout: 120_000 }).toMatch(/ready.*gemma-3-270m/s);
    const ok = hub.log.filter((e) => e.status === 200).map((e) => e.path.slice(REPO.length + 1));
    expect(ok).toEqual(expect.arrayContaining(['config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'tokenizer.json']));
    expect(hub.log.filter((e) => e.status === 200).every((e) => e.auth === `Bearer ${TOKEN}`)).toBe(true);
    // it runs: the prompt's tokens are analysed on the new model
    await expect.poll(() => page.getByTestId('model-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('ready');
    const url = new URL(page.url());
    expect(url.searchParams.get('model')).toBe(REPO);
    expect(url.searchParams.get('prompt')).toBe(prompt);
    await shot(page, '13-hub-token-loaded');

    // 3. the token is in no URL, and in no request to another origin
    const all = await Promise.all(requests);
    expect(page.url()).not.toContain(TOKEN);
    expect(all.filter((r) => r.url.includes(TOKEN))).toEqual([]);
    const hubOrigin = new URL(hubUrl).origin;
    const leaked = all.filter((r) => new URL(r.url).origin !== hubOrigin && JSON.stringify(r.headers).includes(TOKEN));
    expect(leaked).toEqual([]);
    expect(all.some((r) => new URL(r.url).origin === hubOrigin && r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    await page.context().close();
  });
});
