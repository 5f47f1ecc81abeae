// The "Training data" card in real Chromium on the bundled model and its shipped index: opened, it
// explains the model's top next token; supporters have positive scores, falling, and opposers
// negative ones, each with its text; a typed completion reruns it. Screenshots.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launch, openApp, ready, shot } from './browser';

const base = inject('baseUrl');
let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

const PROMPT = 'The ship sailed across the';

const scores = async (page: Page, side: 'support' | 'oppose') =>
  (await page.getByTestId(`tda-${side}`).locator('.score').allTextContents()).map(Number);

describe('training data', () => {
  it('lists the documents that most support and oppose the completion, with their text', async () => {
    const page = await openApp(browser, `${base}?prompt=${encodeURIComponent(PROMPT)}`);
    await ready(page);
    await page.getByTestId('token').first().waitFor({ state: 'visible', timeout: 60_000 });
    await page.getByTestId('training-data').locator('summary').first().click();
    await page.getByTestId('tda-summary').waitFor({ state: 'visible', timeout: 120_000 });
    const support = await scores(page, 'support');
    const oppose = await scores(page, 'oppose');
    expect(support.length).toBe(6);
    expect(oppose.length).toBe(6);
    for (let i = 1; i < 6; i++) {
      expect(support[i]).toBeLessThanOrEqual(support[i - 1]);
      expect(oppose[i]).toBeGreaterThanOrEqual(oppose[i - 1]);
    }
    expect(support[0]).toBeGreaterThan(0);
    expect(oppose[0]).toBeLessThan(0);
    for (const t of await page.getByTestId('tda-doc').locator('.text').allTextContents()) expect(t.trim().length).toBeGreaterThan(0);
    await page.getByTestId('training-data').scrollIntoViewIfNeeded();
    await shot(page, '46-training-data');

    // a typed completion: the summary names it
    await page.getByTestId('tda-completion').fill(' island');
    await page.getByTestId('tda-stale').waitFor({ state: 'visible' });
    await page.getByTestId('tda-run').click();
    await expect.poll(() => page.getByTestId('tda-summary').textContent(), { timeout: 120_000 }).toContain('·island');
    await page.getByTestId('tda-stale').waitFor({ state: 'detached' });
    await shot(page, '47-training-data-completion');

    // ranked by cosine: the cosines fall down each list
    await page.getByTestId('tda-rank').selectOption('cosine');
    await page.getByTestId('tda-stale').waitFor({ state: 'visible' }); // reruns at once, for seconds
    await page.getByTestId('tda-stale').waitFor({ state: 'detached', timeout: 120_000 });
    const cosines = async (side: string) =>
      (await page.getByTestId(`tda-${side}`).locator('.head .muted').allTextContents()).map((t) => Number(/cos (-?[\d.]+)/.exec(t)![1]));
    const sup = await cosines('support');
    for (let i = 1; i < sup.length; i++) expect(sup[i]).toBeLessThanOrEqual(sup[i - 1] + 0.005);
    await shot(page, '48-training-data-cosine');
    await page.context().close();
  });

  it('fits 390 px, dark', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, colorScheme: 'dark' });
    const page = await context.newPage();
    await page.goto(`${base}?prompt=${encodeURIComponent(PROMPT)}`);
    await ready(page);
    await page.getByTestId('token').first().waitFor({ state: 'visible', timeout: 60_000 });
    await page.getByTestId('training-data').locator('summary').first().click();
    await page.getByTestId('tda-summary').waitFor({ state: 'visible', timeout: 120_000 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.getByTestId('training-data').scrollIntoViewIfNeeded();
    await shot(page, '49-training-data-390-dark');
    await context.close();
  });
});
