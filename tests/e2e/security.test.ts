// Security of the built app (as `npm start` serves it). Its Content-Security-Policy (tools/csp.ts)
// is present as a <meta> and a header: no eval, no inline script but index.html's own, and
// connections only to the app, the visit's Hub endpoint and the Hub's file hosts. The app still
// loads, starts its worker and runs a WebGPU forward under it. Text from outside (feature labels,
// file names) shows as text and never runs. The Hub access token shows in no URL, page text or
// console message.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { HubServer } from '../helpers/hub_server';
import { randomGpt2Files } from '../helpers/random_model';
import { randomSaeLensFiles } from '../helpers/random_sae';
import { BYTE_TOKENIZER_CONFIG, BYTE_TOKENIZER_VOCAB, EOT_ID, byteTokenizerJson } from '../helpers/byte_tokenizer';
import { launch, ready, shot, writeFolder } from './browser';

const base = inject('baseUrl');
const REPO = 'acme/private-gpt2';
const TOKEN = 'hf_securityE2eToken9876543210';
const WRONG = 'hf_wrongE2eToken0000000000';
const D_SAE = 64;
/** An SAE's cfg.json names the model it was trained on: the app quotes it in a warning. */
const MARKUP_MODEL = `<img src="x-glassbox-probe" onerror="window.__pwned='cfg'">gpt2`;
let browser: Browser;
let hub: HubServer;
let hubUrl: string;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'glassbox-security-'));
  writeFolder(dir, 'sae', randomSaeLensFiles({ dIn: 256, dSae: D_SAE, hookName: 'blocks.2.hook_resid_pre', arch: 'topk', k: 8, seed: 12, modelName: MARKUP_MODEL }));
  hub = new HubServer();
  const tiny = randomGpt2Files({ nLayers: 2, dModel: 96, nHeads: 3, vocab: BYTE_TOKENIZER_VOCAB, nCtx: 64, seed: 77 });
  hub.add(REPO, 'config.json', JSON.stringify({ ...JSON.parse(tiny.config), bos_token_id: EOT_ID, eos_token_id: EOT_ID }));
  hub.add(REPO, 'model.safetensors', tiny.safetensors);
  hub.add(REPO, 'tokenizer.json', byteTokenizerJson());
  hub.add(REPO, 'tokenizer_config.json', BYTE_TOKENIZER_CONFIG);
  hub.gate(REPO, TOKEN);
  hubUrl = await hub.start();
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Violation {
  directive: string;
  blocked: string;
}
declare global {
  interface Window {
    __violations: Violation[];
    __pwned?: unknown;
  }
}

/**
 * A fresh page whose CSP violations are recorded from the first script on. Requests to any https
 * host are answered locally with 200 (and listed), so that a request the policy lets through is
 * told apart from one it blocks.
 */
async function open(url: string): Promise<{ page: Page; routed: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const routed: string[] = [];
  await context.route(/^https:\/\//, (route) => {
    routed.push(route.request().url());
    return route.fulfill({ status: 200, body: 'routed', headers: { 'Access-Control-Allow-Origin': '*' } });
  });
  await context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push({ directive: e.effectiveDirective, blocked: e.blockedURI }));
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(url);
  return { page, routed };
}

// Playwright's evaluate runs through DevTools, which may eval whatever the policy says. These run
// the probe in a task of the page (or worker) itself, as the app's own code would.
const ownTask = (body: string) => `new Promise((resolve) => setTimeout(async () => { try { resolve(String(await (async () => { ${body} })())); } catch (e) { resolve(e.name); } }, 0))`;
const fetchText = (url: string) => ownTask(`return await (await fetch(${JSON.stringify(url)})).text();`);
const violations = (page: Page) => page.evaluate(() => window.__violations);

describe('the Content-Security-Policy of the built app', () => {
  it('is sent as a header and a <meta>, forbids eval and foreign connections, and the app runs under it', async () => {
    const context = await browser.newContext();
    const res = await (await context.newPage()).goto(base);
    const header = res!.headers()['content-security-policy'];
    await context.close();
    expect(header).toMatch(/(^|; )script-src 'self'( 'sha256-[\w+/=]+')+(;|$)/);
    expect(header).toMatch(/(^|; )frame-ancestors 'none'(;|$)/);
    expect(header).toMatch(/(^|; )object-src 'none'(;|$)/);
    expect(header).not.toMatch(/unsafe-eval|unsafe-inline|wasm-unsafe-eval/);

    const { page, routed } = await open(base);
    await ready(page);
    // a forward on the GPU in the worker: the prompt's tokens and their features
    await page.getByTestId('feature-row').first().waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('token').allTextContents()).toContain('·ship');
    expect(await page.getByTestId('model-status').getAttribute('data-status')).toBe('ready');
    expect(page.workers().length).toBeGreaterThan(0);
    // nothing the app does by itself is refused
    expect(await violations(page)).toEqual([]);
    await shot(page, '14-csp-app-runs');

    // the <meta> policies: the static one (the header's, less frame-ancestors) and this visit's connect-src
    const metas = await page.evaluate(() => [...document.querySelectorAll('meta[http-equiv="Content-Security-Policy"]')].map((m) => (m as HTMLMetaElement).content));
    expect(metas).toHaveLength(2);
    expect(`${metas[0]}; frame-ancestors 'none'`).toBe(header);
    expect(metas[1]).toMatch(/^connect-src 'self' https:\/\/huggingface\.co https:\/\/\*\.huggingface\.co https:\/\/\*\.hf\.co /);

    // eval and the Function constructor throw, and each is reported (once per policy that refuses it)
    expect(await page.evaluate(ownTask("return eval('1 + 1');"))).toBe('EvalError');
    expect(await page.evaluate(ownTask("return new Function('return 2')();"))).toBe('EvalError');
    expect((await violations(page)).filter((v) => v.blocked === 'eval').length).toBeGreaterThanOrEqual(2);
    // an injected inline script does not run
    await expect(page.addScriptTag({ content: 'window.__pwned = "inline"' })).rejects.toThrow(/Content Security Policy/);
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();

    // connections: the Hub's file hosts (where /resolve/ redirects LFS and Xet files) yes, others no
    for (const url of ['https://huggingface.co/x/resolve/main/config.json', 'https://cdn-lfs-us-1.hf.co/repos/x', 'https://cas-bridge.xethub.hf.co/xet-bridge-us/x', 'https://us.aws.cdn.hf.co/xet-bridge-us/x'])
      expect(await page.evaluate(fetchText(url)), url).toBe('routed');
    expect(await page.evaluate(fetchText('https://evil.example/steal'))).toBe('TypeError');
    expect(await page.evaluate(fetchText('http://127.0.0.1:9/elsewhere'))).toBe('TypeError');
    expect(routed.some((u) => u.includes('evil.example'))).toBe(false);
    const refused = (await violations(page)).filter((v) => v.directive === 'connect-src').map((v) => v.blocked);
    expect(refused).toEqual(expect.arrayContaining(['https://evil.example/steal', 'http://127.0.0.1:9/elsewhere']));

    // the engine worker: its own policy (the header) forbids eval there too
    expect(await page.workers()[0].evaluate(ownTask("return eval('1 + 1');"))).toBe('EvalError');
    await page.context().close();
  });

  it('admits the Hub endpoint this visit was given (?hub=), not other hosts', async () => {
    const { page } = await open(`${base}?hub=${encodeURIComponent(hubUrl)}`);
    await ready(page);
    const [, visit] = await page.evaluate(() => [...document.querySelectorAll('meta[http-equiv="Content-Security-Policy"]')].map((m) => (m as HTMLMetaElement).content));
    expect(visit.endsWith(` ${new URL(hubUrl).origin}`)).toBe(true);
    expect(await page.evaluate(fetchText(`${hubUrl}/__log`))).toMatch(/^\[/);
    const other = `http://localhost:${new URL(hubUrl).port}/__log`; // the same server under another name
    expect(await page.evaluate(fetchText(other))).toBe('TypeError');
    expect((await violations(page)).map((v) => v.blocked)).toEqual([other]);
    await page.context().close();
  });

  // A dedicated worker started from a same-origin URL would take its policy from its own response
  // headers, which cannot know the visit's endpoint; the engine starts from a blob: URL
  // (src/worker/client.ts) and so inherits the page's policies, the visit's connect-src included.
  it("holds the engine worker to the visit's connect-src", async () => {
    const { page, routed } = await open(base);
    await ready(page);
    const worker = page.workers()[0];
    expect(worker.url()).toMatch(/^blob:/);
    expect(await worker.evaluate(fetchText('https://us.aws.cdn.hf.co/xet-bridge-us/x'))).toBe('routed');
    expect(await worker.evaluate(fetchText('https://evil.example/from-worker'))).toBe('TypeError');
    expect(routed).not.toContain('https://evil.example/from-worker');
    await page.context().close();
  });
});

describe('text from outside', () => {
  it('shows labels, file names and SAE metadata holding markup as text, and runs none of it', async () => {
    const { page } = await open(base);
    const requests: string[] = [];
    page.context().on('request', (r) => void requests.push(r.url()));
    await ready(page);
    const picker = page.getByTestId('model-picker');
    // an SAE without feature data for the bundled model (the bundled SAE's own labels come first)
    await page.getByTestId('open-models').click();
    await picker.getByText('SAE folder').locator('input').setInputFiles(join(dir, 'sae'));
    await page.getByTestId('feature-row').first().waitFor({ timeout: 120_000 });
    await expect.poll(() => page.locator('main .notice').allTextContents()).toContainEqual(expect.stringContaining(`"${MARKUP_MODEL}"`));

    // a Neuronpedia export naming each of its features with markup
    const label = (i: number) => `<img src="x-glassbox-probe" onerror="window.__pwned='label'"><b class="glassbox-probe">bold</b> {@html x} #${i}`;
    const labels = Array.from({ length: D_SAE }, (_, i) => ({ index: String(i), description: label(i) }));
    const badName = `<svg onload="window.__pwned='name'" class="glassbox-probe">.json`;
    await page.getByTestId('open-models').click();
    const files = picker.getByText('Files (.npz, label exports)').locator('input');
    await files.setInputFiles({ name: 'explanations.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(labels)) });
    await expect.poll(() => picker.getByTestId('picker-message').textContent(), { timeout: 30_000 }).toMatch(`Imported ${D_SAE} feature labels`);
    // a file name with markup, in the message that names it
    await files.setInputFiles({ name: badName, mimeType: 'application/json', buffer: Buffer.from('not json at all') });
    await expect.poll(() => picker.getByTestId('picker-message').textContent(), { timeout: 30_000 }).toContain(badName);
    await picker.getByRole('button', { name: 'close' }).click();

    // the list, the dashboard and the steering panel show the labels literally
    const row = page.getByTestId('feature-row').first();
    const id = Number(await row.getAttribute('data-feature-id'));
    expect(await row.locator('.label').textContent()).toBe(label(id));
    await row.click();
    await expect.poll(() => page.locator('h2').filter({ hasText: `#${id}` }).first().textContent()).toContain(label(id));
    await page.getByRole('button', { name: 'Steer with this feature' }).click();
    await expect.poll(() => page.getByText(label(id), { exact: true }).count()).toBeGreaterThan(0);
    // and the token tooltips
    await page.getByTestId('token').nth(1).hover();
    await expect.poll(() => page.getByRole('tooltip').textContent()).toContain('<img src="x-glassbox-probe"');
    await shot(page, '15-labels-as-text');

    // none of it became markup, loaded or ran
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => document.querySelectorAll('img, svg.glassbox-probe, .glassbox-probe, [onerror], [onload]').length)).toBe(0);
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
    expect(requests.filter((u) => u.includes('glassbox-probe'))).toEqual([]);
    expect(await violations(page)).toEqual([]);
    await page.context().close();
  });
});

describe('the Hub access token', () => {
  it('shows in no URL, page text or console message while a gated repo loads', async () => {
    const { page } = await open(`${base}?hub=${encodeURIComponent(hubUrl)}&prompt=${encodeURIComponent('secret test')}`);
    const hubOrigin = new URL(hubUrl).origin;
    // every console message and URL of the run: the page's, the workers' (the downloads run there), and each navigation
    const messages: string[] = [];
    const urls: string[] = [];
    const requests: Array<Promise<{ url: string; headers: Record<string, string> }>> = [];
    page.on('console', (m) => messages.push(`page ${m.type()}: ${m.text()} ${JSON.stringify(m.location())}`));
    page.on('pageerror', (e) => messages.push(`pageerror: ${e.message}\n${e.stack}`));
    page.on('framenavigated', (f) => urls.push(f.url()));
    const watch = (w: import('playwright-core').Worker) => w.on('console', (m) => messages.push(`worker ${m.type()}: ${m.text()}`));
    page.workers().forEach(watch);
    page.on('worker', watch);
    page.context().on('request', (r) => void requests.push(r.allHeaders().then((headers) => ({ url: r.url(), headers }))));
    await ready(page);
    const status = page.getByTestId('model-status');
    const picker = page.getByTestId('model-picker');
    const banner = page.getByTestId('error-banner');
    /** What the page shows and holds where a share link or a screenshot would pick it up. */
    const exposed = async () => {
      urls.push(page.url());
      return page.evaluate(async () => ({
        href: location.href,
        html: document.documentElement.outerHTML,
        text: document.body.innerText,
        title: document.title,
        session: JSON.stringify({ ...sessionStorage }),
        cached: (await Promise.all((await caches.keys()).map(async (k) => (await (await caches.open(k)).keys()).map((r) => r.url)))).flat().join(' '),
      }));
    };
    const load = async (token: string) => {
      await page.getByTestId('open-models').click();
      await picker.getByLabel('access token').fill(token);
      await picker.getByLabel('access token').press('Tab'); // change: saved
      await picker.getByLabel('Hub repo id').fill(REPO);
      await picker.getByRole('button', { name: 'Load model' }).click();
    };

    // a wrong token: refused with the typed error (the console gets the failed requests)
    await load(WRONG);
    await banner.waitFor({ state: 'visible', timeout: 60_000 });
    expect(await banner.getAttribute('data-error')).toBe('HubAuthError');
    const afterWrong = await exposed();
    // the right one: the model loads and runs
    await load(TOKEN);
    await expect.poll(() => status.textContent(), { timeout: 120_000 }).toMatch(/ready.*private-gpt2/s);
    await page.getByTestId('feature-row').first().waitFor({ timeout: 60_000 }).catch(() => undefined);
    const afterRight = await exposed();
    await shot(page, '16-token-not-exposed');
    expect(new URL(page.url()).searchParams.get('model')).toBe(REPO);
    expect(hub.log.some((e) => e.status === 200 && e.auth === `Bearer ${TOKEN}`)).toBe(true);
    expect(messages.length).toBeGreaterThan(0); // the 403s at least: the capture works

    for (const secret of [TOKEN, WRONG]) {
      for (const seen of [afterWrong, afterRight]) for (const [where, text] of Object.entries(seen)) expect(text, `${where} holds a token`).not.toContain(secret);
      expect(urls.filter((u) => u.includes(secret))).toEqual([]);
      expect(messages.filter((m) => m.includes(secret))).toEqual([]);
      // in requests: only as the Authorization header, only to the Hub endpoint
      const all = await Promise.all(requests);
      expect(all.filter((r) => r.url.includes(secret)).map((r) => r.url)).toEqual([]);
      expect(all.filter((r) => new URL(r.url).origin !== hubOrigin && JSON.stringify(r.headers).includes(secret)).map((r) => r.url)).toEqual([]);
    }
    // the one place it is kept: this origin's localStorage, bound to the endpoint it was typed for (src/store/hub.ts)
    expect(JSON.parse((await page.evaluate(() => localStorage.getItem('glassbox-hub-token')))!)).toEqual({ token: TOKEN, origin: hubOrigin });
    // a link that names another endpoint gets no token: nothing reaches that server with it
    const other = await page.context().newPage();
    const seen: string[] = [];
    other.on('request', (r) => void r.allHeaders().then((h) => seen.push(`${r.url()} ${h.authorization ?? ''}`)));
    await other.goto(`${base}?hub=${encodeURIComponent('http://127.0.0.1:9')}&model=${encodeURIComponent(REPO)}`);
    await other.getByTestId('error-banner').waitFor({ timeout: 60_000 });
    expect(seen.filter((s) => s.includes('127.0.0.1:9'))).not.toEqual([]);
    expect(seen.filter((s) => s.includes(TOKEN))).toEqual([]);
    await page.context().close();
  });
});
