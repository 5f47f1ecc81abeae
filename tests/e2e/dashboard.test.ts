// The feature dashboard from the SAE's weights: for a local SAE without feature data, the top and
// bottom logits (token and value) and the decoder-cosine neighbours (#id, label, cosine) appear,
// prev/next step through feature ids and a neighbour opens its own dashboard; for the bundled SAE
// the same computed tables sit beside its feature data (histogram, dataset examples).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator } from 'playwright-core';
import { randomModelSource } from '../helpers/files_source';
import { randomSaeLensFiles } from '../helpers/random_sae';
import { launch, openApp, ready, shot, writeFolder } from './browser';

const base = inject('baseUrl');
let browser: Browser;
let dir: string;

const LOGIT = /^\s*\S.*\s[+−]\d+\.\d{3}\s*$/s; // a token, then its signed value
const NEIGHBOUR = /^#(\d+)\s*(.+?)\s*(-?\d\.\d{3})$/s; // #id, label, cosine

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'glassbox-dash-'));
  writeFolder(dir, 'my-model', randomModelSource(51, 64).files);
  writeFolder(dir, 'my-sae', randomSaeLensFiles({ dIn: 96, dSae: 128, hookName: 'blocks.1.hook_resid_pre', arch: 'topk', k: 8, seed: 9 }));
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

const texts = (l: Locator) => l.allTextContents();

/** The dashboard's logits and neighbours, once computed, checked for visible values. */
async function tables(dash: Locator, id: number) {
  await expect.poll(() => dash.getByTestId('top-logits').getByTestId('logit').count(), { timeout: 30_000 }).toBe(10);
  const top = await texts(dash.getByTestId('top-logits').getByTestId('logit'));
  const bottom = await texts(dash.getByTestId('bottom-logits').getByTestId('logit'));
  expect(bottom).toHaveLength(10);
  for (const t of [...top, ...bottom]) expect(t).toMatch(LOGIT);
  const value = (t: string) => Number(t.trim().split(/\s+/).pop()!.replace('−', '-'));
  const tv = top.map(value);
  const bv = bottom.map(value);
  expect(tv).toEqual([...tv].sort((a, b) => b - a)); // largest first
  expect(bv).toEqual([...bv].sort((a, b) => a - b)); // most negative first
  expect(bv[0]).toBeLessThan(0);
  expect(tv[0]).toBeGreaterThan(0);
  const neighbours = await texts(dash.getByTestId('neighbour'));
  expect(neighbours).toHaveLength(10);
  for (const n of neighbours) {
    const m = NEIGHBOUR.exec(n.trim());
    expect(m, n).not.toBeNull();
    expect(Number(m![1])).not.toBe(id);
    expect(Math.abs(Number(m![3]))).toBeLessThanOrEqual(1);
  }
  return { top, bottom, neighbours };
}

describe('feature dashboard from the weights', () => {
  it('a local SAE without feature data: logits with values and neighbours with labels and cosines; prev/next and neighbours open features', async () => {
    const page = await openApp(browser, `${base}?prompt=${encodeURIComponent('local features')}`);
    await ready(page);
    const picker = page.getByTestId('model-picker');
    await page.getByTestId('open-models').click();
    await picker.getByText('Model folder').locator('input').setInputFiles(join(dir, 'my-model'));
    await expect.poll(() => page.getByTestId('model-status').textContent(), { timeout: 60_000 }).toMatch(/ready.*local/s);
    await page.getByTestId('open-models').click();
    await picker.getByText('SAE folder').locator('input').setInputFiles(join(dir, 'my-sae'));
    await expect.poll(() => page.getByTestId('feature-row').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    if (await picker.count()) await picker.getByRole('button', { name: 'close' }).click();

    // no densities without feature data: nothing hidden, no threshold to offer
    expect(await page.getByTestId('dense-threshold').count()).toBe(0);
    expect(await page.getByTestId('label-kinds').textContent()).toBe('Labels: tokens seen this session');
    const first = page.getByTestId('feature-row').first();
    const id = Number(await first.getAttribute('data-feature-id'));
    await first.click();
    const dash = page.getByTestId('feature-dashboard');
    expect(Number(await dash.getAttribute('data-feature-id'))).toBe(id);
    expect(await dash.getByTestId('label-kind').textContent()).toBe('tokens seen this session');
    const a = await tables(dash, id);
    expect(await dash.getByTestId('no-feature-data').isVisible()).toBe(true);
    expect(await dash.textContent()).not.toMatch(/could not/);
    expect(Number(await dash.getByTestId('decoder-norm').textContent())).toBeGreaterThan(0);
    await shot(page, '18-dashboard-local-sae');

    // next and previous feature ids, each with its own tables
    const step = id < 127 ? 'feature-next' : 'feature-prev';
    const other = id < 127 ? id + 1 : id - 1;
    await dash.getByTestId(step).click();
    await expect.poll(() => dash.getAttribute('data-feature-id')).toBe(String(other));
    await expect.poll(async () => (await texts(dash.getByTestId('logit'))).join('|'), { timeout: 30_000 }).not.toBe([...a.top, ...a.bottom].join('|'));
    const b = await tables(dash, other);
    expect(b.top).not.toEqual(a.top);
    await dash.getByTestId(step === 'feature-next' ? 'feature-prev' : 'feature-next').click();
    await expect.poll(() => dash.getAttribute('data-feature-id')).toBe(String(id));
    await expect.poll(async () => (await texts(dash.getByTestId('top-logits').getByTestId('logit'))).join('|'), { timeout: 30_000 }).toBe(a.top.join('|'));

    // a neighbour opens its dashboard
    const nb = dash.getByTestId('neighbour').first();
    const nid = await nb.getAttribute('data-feature-id');
    await nb.click();
    await expect.poll(() => dash.getAttribute('data-feature-id')).toBe(nid);
    await tables(dash, Number(nid));
    await page.context().close();
  });

  it('the bundled SAE: computed logits and neighbours beside its histogram and dataset examples', async () => {
    const page = await openApp(browser, `${base}?prompt=${encodeURIComponent('The ship sailed across the ocean')}`);
    await ready(page);
    await expect.poll(() => page.getByTestId('feature-row').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    const first = page.getByTestId('feature-row').first();
    const id = Number(await first.getAttribute('data-feature-id'));
    await first.click();
    const dash = page.getByTestId('feature-dashboard');
    await tables(dash, id);
    await dash.getByText('Top activating contexts').waitFor({ state: 'visible', timeout: 30_000 });
    expect(await dash.getByText('Activation histogram').isVisible()).toBe(true);
    expect(await dash.getByTestId('no-feature-data').count()).toBe(0);
    await shot(page, '19-dashboard-bundled');
    await page.context().close();
  });
});

// The feature list and dashboard as a Neuronpedia user expects them, on the bundled SAE's feature data.
describe('feature list and dashboard, Neuronpedia style', () => {
  const PROMPT = 'The ship sailed across the ocean. The coach told the players to run. Les vagues sont grandes aujourd\'hui. The cow ate hay on the farm.';
  const num = (s: string | null) => Number((s ?? '').trim().replace('−', '-'));

  it('hides dense features (with a count and a toggle), pages past 40 rows, and finds French features by word', async () => {
    const page = await openApp(browser, `${base}?prompt=${encodeURIComponent(PROMPT)}`);
    await ready(page);
    const rows = page.getByTestId('feature-row');
    await expect.poll(() => rows.count(), { timeout: 60_000 }).toBeGreaterThan(0);
    const densities = () => rows.evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('data-density'))));
    // by default: nothing above 1% listed, and the hidden ones counted
    expect(await page.getByTestId('dense-threshold').evaluate((s: HTMLSelectElement) => s.selectedOptions[0].textContent)).toMatch(/> 1% of tokens \(as Neuronpedia\)/);
    expect(Math.max(...(await densities()))).toBeLessThanOrEqual(0.01);
    const hiddenText = (await page.getByTestId('dense-hidden').textContent())!;
    const hidden = Number(/^(\d+) dense features? hidden/.exec(hiddenText.trim())![1]);
    expect(hidden).toBeGreaterThan(0);
    // every label says what kind it is: here all come from the bundled examples' n-grams
    expect(await page.getByTestId('label-kinds').textContent()).toBe('Labels: n-gram label (local)');
    // paging: 40 rows, then more
    expect(await rows.count()).toBe(40);
    await shot(page, '21-list-dense-hidden');
    await page.getByTestId('feature-more').click();
    await expect.poll(() => rows.count()).toBeGreaterThan(40);
    while (await page.getByTestId('feature-more').count()) await page.getByTestId('feature-more').click();
    const shown = await rows.count();
    expect(Math.max(...(await densities()))).toBeLessThanOrEqual(0.01);
    // "show them": the dense ones come back, the count goes
    await page.getByTestId('show-dense').click();
    await expect.poll(() => page.getByTestId('dense-hidden').count()).toBe(0);
    expect(Math.max(...(await densities()))).toBeGreaterThan(0.01);
    expect(await rows.count()).toBe(40); // a changed list starts on its first page
    while (await page.getByTestId('feature-more').count()) await page.getByTestId('feature-more').click();
    expect(await rows.count()).toBe(shown + hidden);
    // the threshold control: 0.1% hides more than 1% did
    await page.getByTestId('dense-threshold').selectOption({ label: '> 0.1% of tokens' });
    await expect.poll(() => page.getByTestId('dense-hidden').textContent()).toMatch(/\d+ dense features? hidden/);
    expect(Math.max(...(await densities()))).toBeLessThanOrEqual(0.001);

    // a language word finds features whose n-gram labels name it (whole words: "Fren" is a word start, "rench" is not)
    await page.getByTestId('dense-threshold').selectOption({ label: 'none: show all' });
    await page.getByTestId('feature-search').fill('French');
    await expect.poll(() => rows.count()).toBeGreaterThan(5);
    for (const l of await page.getByTestId('feature-row').locator('.label').allTextContents()) expect(l).toMatch(/\bFrench\b/);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId('dense-threshold').selectOption({ label: '> 1% of tokens (as Neuronpedia)' });
    await page.getByTestId('feature-search').scrollIntoViewIfNeeded();
    await expect.poll(() => page.getByTestId('dense-hidden').count()).toBe(1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, '21-list-french-390px');
    await page.getByTestId('feature-search').fill('rench');
    await expect.poll(() => rows.count()).toBe(0);
    await page.context().close();
  });

  it('a link with tok= and feature= opens with that token selected and that dashboard: label kind, axes, deduplicated examples with values, languages, logits, neighbours; at 1280 and 390 px; values past 10 whole', async () => {
    // #597: French, its examples repeat one sentence; #516: activations past 10
    const page = await openApp(browser, `${base}?prompt=${encodeURIComponent(PROMPT)}&tok=3&feature=597`);
    await ready(page);
    const dash = page.getByTestId('feature-dashboard');
    await dash.waitFor({ state: 'visible', timeout: 60_000 });
    expect(await dash.getAttribute('data-feature-id')).toBe('597');
    await expect.poll(() => page.getByTestId('token').evaluateAll((ts) => ts.findIndex((t) => t.getAttribute('aria-pressed') === 'true')), { timeout: 60_000 }).toBe(3);

    expect(await dash.getByTestId('label-kind').textContent()).toBe('n-gram label (local)');
    expect(await dash.getByTestId('feature-label').textContent()).toMatch(/French/);
    expect(await dash.getByTestId('other-label').first().textContent()).toBeTruthy(); // the bundled token label beside it
    expect(await dash.getByTestId('density').textContent()).toMatch(/^\d+\.\d\d%$/);
    // histogram axes: activation ticks from 0 to the max, count ticks from 0 up
    await dash.getByTestId('histogram').waitFor({ state: 'visible', timeout: 30_000 });
    const xt = (await dash.getByTestId('x-tick').allTextContents()).map(Number);
    expect(xt).toHaveLength(5);
    expect(xt[0]).toBe(0);
    expect(xt[4]).toBeGreaterThan(1);
    expect(xt).toEqual([...xt].sort((a, b) => a - b));
    const yt = (await dash.getByTestId('y-tick').allTextContents()).map(Number);
    expect(yt[0]).toBe(0);
    expect(yt.length).toBeGreaterThanOrEqual(2);
    expect(await dash.locator('svg text').filter({ hasText: 'activation' }).count()).toBe(1);
    // examples: each token sequence once, each with its value, strongest first; near-copies grouped with a count
    const examples = dash.getByTestId('example');
    const distinct = Number(/\((\d+) distinct/.exec((await dash.getByText(/repeated contexts? shown once/).textContent())!)![1]);
    expect(distinct).toBeLessThan(20);
    const grouped = await examples.locator('.text').allTextContents();
    expect(grouped.length).toBeGreaterThanOrEqual(1);
    expect(grouped.length).toBeLessThan(distinct); // #597 repeats one sentence after many openings
    const counts = (await dash.getByTestId('example-count').allTextContents()).map((c) => Number(c.replace('×', '')));
    expect(grouped.length - counts.length + counts.reduce((a, b) => a + b, 0)).toBe(distinct);
    const vals = (await dash.getByTestId('example-act').allTextContents()).map(num);
    expect(vals.every((v) => v > 0)).toBe(true);
    expect(vals).toEqual([...vals].sort((a, b) => b - a));
    await dash.getByTestId('examples-all').click();
    const texts = await examples.locator('.text').allTextContents();
    expect(texts).toHaveLength(distinct);
    expect(new Set(texts).size).toBe(distinct);
    await dash.getByTestId('examples-all').click();
    await expect.poll(() => examples.count()).toBe(grouped.length);
    // a firing token shows its value on focus (keyboard) and on hover
    const firing = examples.first().locator('[data-act]').first();
    await firing.focus();
    expect(num(await dash.getByTestId('token-act').textContent())).toBeGreaterThan(0);
    // languages with their shares, French first for this feature
    const langs = await dash.getByTestId('lang').allTextContents();
    expect(langs[0]).toMatch(/^French \d+%$/);
    // logits with values on the page, neighbours with labels and cosines
    await tables(dash, 597);
    for (const l of await dash.getByTestId('neighbour').locator('.label').allTextContents()) expect(l).not.toMatch(/^feature \d+$/);
    await page.locator('aside').evaluate((a) => a.scrollTo(0, 0));
    await shot(page, '22-dashboard-597');
    await dash.getByTestId('examples').scrollIntoViewIfNeeded();
    await shot(page, '22-dashboard-597-examples');
    await page.setViewportSize({ width: 390, height: 844 });
    await dash.getByTestId('examples').scrollIntoViewIfNeeded();
    await firing.hover();
    await shot(page, '23-dashboard-597-390px');
    // nothing on the dashboard runs past the screen's width
    expect(await dash.evaluate((d) => d.scrollWidth <= d.clientWidth + 1)).toBe(true);

    // the URL follows: another feature, then Escape closes the dashboard; arrows move the token
    await dash.getByTestId('feature-next').click();
    await expect.poll(() => page.evaluate(() => location.search)).toMatch(/[?&]tok=3&feature=598(&|$)/);
    await page.keyboard.press('Escape');
    await expect.poll(() => dash.count()).toBe(0);
    await expect.poll(() => page.evaluate(() => location.search)).not.toMatch(/feature=/);
    await page.getByTestId('token').nth(3).focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.evaluate(() => location.search)).toMatch(/[?&]tok=4(&|$)/);

    // activations of 10 and more are shown whole (#516 peaks at 19.4): example values and histogram ticks
    await page.getByTestId('feature-search').fill('#516');
    await page.locator('[data-testid="feature-row"][data-feature-id="516"]').click();
    const acts = dash.getByTestId('example-act');
    await expect.poll(() => acts.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const top = (await acts.first().textContent())!;
    expect(top).toMatch(/^\d\d\.\d$/);
    expect(Number(top)).toBeGreaterThanOrEqual(10);
    expect(await acts.first().evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
    expect(Number((await dash.getByTestId('x-tick').allTextContents())[4])).toBeGreaterThanOrEqual(10);
    await page.context().close();
  });
});
