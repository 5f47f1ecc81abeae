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

    const first = page.getByTestId('feature-row').first();
    const id = Number(await first.getAttribute('data-feature-id'));
    await first.click();
    const dash = page.getByTestId('feature-dashboard');
    expect(Number(await dash.getAttribute('data-feature-id'))).toBe(id);
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
