// The logit lens card in real Chromium on the bundled model (4 layers, 4 heads): opened, it runs
// once; the grid has a row per layer plus the output and a column per token; a cell's top 5 show
// on hover, most probable first; the attention of the last token, then of the selected one, sums
// to 100% per head; and it fits a phone. Each state is saved as a screenshot.
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

const PROMPT = 'The cow and the pig went to the';

/** Each head row's weights (from the cells' titles), in percent. */
async function headSums(page: Page): Promise<number[]> {
  return page.getByTestId('attention-head').evaluateAll((rows) =>
    rows.map((r) => [...r.querySelectorAll('td')].reduce((a, td) => a + Number(/([\d.]+)%$/.exec(td.title)![1]), 0)),
  );
}

async function openLens(page: Page): Promise<number> {
  await ready(page);
  const tokens = page.getByTestId('token');
  await tokens.first().waitFor({ state: 'visible', timeout: 60_000 });
  const T = await tokens.count();
  await page.getByTestId('logit-lens').locator('summary').click();
  await page.getByTestId('lens-grid').waitFor({ state: 'visible', timeout: 120_000 });
  await page.getByTestId('attention-pattern').waitFor({ state: 'visible', timeout: 120_000 });
  return T;
}

describe('logit lens', () => {
  it('shows every layer x token, the top 5 on hover, and the selected token attention per head', async () => {
    const page = await openApp(browser, `${base}?prompt=${encodeURIComponent(PROMPT)}`);
    const T = await openLens(page);
    expect(T).toBeGreaterThan(3);
    expect(await page.getByTestId('lens-cell').count()).toBe((4 + 1) * T);
    expect(await page.getByTestId('lens-grid').locator('th.layer').allTextContents()).toEqual(['L0', 'L1', 'L2', 'L3', 'out']);

    // hover the output row's last cell: five candidates, probabilities falling
    await page.getByTestId('lens-cell').nth(5 * T - 1).hover();
    const cands = page.getByTestId('lens-detail').locator('.cand');
    await expect.poll(() => cands.count()).toBe(5);
    const probs = (await cands.allTextContents()).map((c) => Number(/([\d.]+)%$/.exec(c)![1]));
    for (let j = 1; j < 5; j++) expect(probs[j]).toBeLessThanOrEqual(probs[j - 1]);
    expect(probs.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(100.5);

    // no token selected: the last token attends to all T; 4 heads, each summing to 100%
    expect(await page.getByTestId('attention-pattern').locator('h3').textContent()).toContain(`token ${T - 1}`);
    expect(await page.getByTestId('attention-head').count()).toBe(4);
    expect(await page.getByTestId('attention-head').first().locator('td').count()).toBe(T);
    for (const s of await headSums(page)) expect(Math.abs(s - 100)).toBeLessThan(1);
    await shot(page, '40-logit-lens');

    // select token 2 in the strip: the pattern follows it (3 keys), on another layer too
    await page.getByTestId('token').nth(2).click();
    await expect.poll(() => page.getByTestId('attention-pattern').locator('h3').textContent(), { timeout: 60_000 }).toContain('token 2');
    await page.getByTestId('attention-layer').selectOption('3');
    expect(await page.getByTestId('attention-head').first().locator('td').count()).toBe(3);
    for (const s of await headSums(page)) expect(Math.abs(s - 100)).toBeLessThan(1);

    // typing marks the lens out of date; it runs only when asked
    await page.getByTestId('prompt-input').pressSequentially(' barn');
    await page.getByTestId('lens-stale').waitFor({ state: 'visible' });
    await page.getByTestId('lens-run').click();
    await page.getByTestId('lens-stale').waitFor({ state: 'detached', timeout: 120_000 });
    expect(await page.getByTestId('lens-cell').count()).toBeGreaterThan(5 * T);
    await page.getByTestId('logit-lens').scrollIntoViewIfNeeded();
    await shot(page, '41-logit-lens-attention');
    await page.context().close();
  });

  it('fits 390 px', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(`${base}?prompt=${encodeURIComponent(PROMPT)}`);
    await openLens(page);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.getByTestId('logit-lens').scrollIntoViewIfNeeded();
    await shot(page, '42-logit-lens-390');
    await context.close();
  });
});
