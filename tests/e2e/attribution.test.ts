// The "Why this token" card in real Chromium on the bundled model and SAE: opened, it explains
// the model's top prediction after the last token; the table is ranked by |attribution| and holds
// the SAE error nodes; a candidate chip and the "minus" menu retarget it (a logit difference);
// a row opens the feature's dashboard; a selected token moves the target position. Screenshots.
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

const PROMPT = 'The ship sailed across the ocean and the';

/** The attribution column, as numbers. */
async function attributions(page: Page): Promise<number[]> {
  return (await page.getByTestId('attr-table').locator('tbody tr td:nth-child(4)').allTextContents()).map(Number);
}

async function openCard(page: Page): Promise<number> {
  await ready(page);
  const tokens = page.getByTestId('token');
  await tokens.first().waitFor({ state: 'visible', timeout: 60_000 });
  const T = await tokens.count();
  await page.getByTestId('attribution').locator('summary').click();
  await page.getByTestId('attr-table').waitFor({ state: 'visible', timeout: 120_000 });
  return T;
}

describe('why this token', () => {
  it('ranks features and error nodes, retargets to a logit difference, and opens a dashboard', async () => {
    const page = await openApp(browser, `${base}?prompt=${encodeURIComponent(PROMPT)}`);
    const T = await openCard(page);
    const target = page.getByTestId('attr-target');
    expect(await target.textContent()).toMatch(/logit\(.+\) = -?\d/);
    const chips = page.getByTestId('attr-cand');
    expect(await chips.count()).toBe(10);
    expect(await chips.first().getAttribute('class')).toContain('on'); // the top prediction is the target
    expect(await page.getByTestId('attr-strip').locator('.tok').count()).toBe(T);
    const a = await attributions(page);
    expect(a.length).toBe(20);
    expect(a.every(Number.isFinite) && a[0] !== 0).toBe(true);
    for (let i = 1; i < a.length; i++) expect(Math.abs(a[i])).toBeLessThanOrEqual(Math.abs(a[i - 1]) + 0.006); // 2-decimal rounding
    expect(await page.getByTestId('attr-table').locator('tr.err').count() + (await page.getByTestId('attr-open').count())).toBe(20);
    await page.getByTestId('attribution').scrollIntoViewIfNeeded();
    await shot(page, '43-attribution');

    // explain the second candidate minus the first: a logit difference
    const second = (await chips.nth(1).textContent())!.trim().split(' ')[0];
    await chips.nth(1).click();
    await expect.poll(async () => (await chips.nth(1).getAttribute('class')) ?? '', { timeout: 120_000 }).toContain('on');
    const first = await page.getByTestId('attr-minus').locator('option').nth(1).getAttribute('value');
    await page.getByTestId('attr-minus').selectOption(first!);
    await expect.poll(() => target.textContent(), { timeout: 120_000 }).toContain('−');
    expect(await target.textContent()).toContain(second);
    await shot(page, '44-attribution-diff');

    // a row opens its feature's dashboard
    const open = page.getByTestId('attr-open').first();
    const id = Number((await open.textContent())!.slice(1));
    await open.click();
    await expect.poll(() => page.url()).toContain(`feature=${id}`);

    // select token 2: the target moves there, and only positions 0..2 can contribute
    await page.getByTestId('token').nth(2).click();
    await page.getByTestId('attr-run').click();
    await expect.poll(async () => page.getByTestId('attr-strip').locator('.tok.after').count(), { timeout: 120_000 }).toBe(T - 3);
    await page.context().close();
  });

  it('fits 390 px', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(`${base}?prompt=${encodeURIComponent(PROMPT)}`);
    await openCard(page);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.getByTestId('attribution').scrollIntoViewIfNeeded();
    await shot(page, '45-attribution-390');
    await context.close();
  });
});
