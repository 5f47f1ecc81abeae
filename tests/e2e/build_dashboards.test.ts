// Dashboards built in the page: the bundled model's dashboards rebuilt from the bundled corpus
// (a few contexts), cancelled and resumed, then a feature opened shows the built examples (taken
// from the corpus, at most one per context); after a reload they are still there (OPFS).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { launch, openApp, ready, shot } from './browser';

const base = inject('baseUrl');
let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

const L = 32;
const CONTEXTS = 24;
/** The corpus as one stream of text, as the contexts see it (documents joined by <|endoftext|>; newlines shown as ↵). */
const stream = readFileSync('public/models/glassbox-mini/corpus.jsonl', 'utf8')
  .split('\n').filter(Boolean).slice(0, 60).map((l) => JSON.parse(l).text as string).join('<|endoftext|>').replace(/\n/g, '↵');

describe('build dashboards in the page', () => {
  it('builds from the bundled corpus with cancel and resume, and a feature shows the built examples', async () => {
    const page = await openApp(browser, `${base}?prompt=${encodeURIComponent('The ship sailed across the ocean')}`);
    await ready(page);
    await expect.poll(() => page.getByTestId('feature-row').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    const panel = page.getByTestId('build-dashboards');
    await panel.locator('summary').click();
    await panel.getByTestId('ctx-len').fill(String(L));
    await panel.getByTestId('n-tokens').fill(String(L * CONTEXTS));
    await panel.getByTestId('build-start').click();
    // cancel once some tokens are done, then resume from there
    await expect.poll(async () => Number(((await panel.getByTestId('build-progress').textContent().catch(() => '')) ?? '').split('/')[0].replace(/\D/g, '')), { timeout: 120_000 }).toBeGreaterThan(0);
    await panel.getByTestId('build-progress').scrollIntoViewIfNeeded();
    await shot(page, '21-build-dashboards-progress');
    await panel.getByTestId('build-cancel').click();
    await panel.getByTestId('build-resume').waitFor({ timeout: 60_000 });
    const stopped = await panel.getByTestId('build-note').textContent();
    expect(stopped).toMatch(/Stopped at [\d,]+ of 768 tokens/);
    await panel.getByTestId('build-resume').click();
    await expect.poll(() => panel.getByTestId('build-note').textContent(), { timeout: 180_000 }).toMatch(/Built from 768 tokens/);
    expect(await panel.getByTestId('build-error').count()).toBe(0);
    await panel.getByTestId('build-note').scrollIntoViewIfNeeded();
    await shot(page, '22-build-dashboards-done');

    // a feature of the prompt: its examples are the corpus's, from at most CONTEXTS contexts
    const first = page.getByTestId('feature-row').first();
    await first.click();
    const dash = page.getByTestId('feature-dashboard');
    await dash.getByText('Top activating contexts').waitFor({ timeout: 30_000 });
    const items = dash.getByTestId('example');
    const n = await items.count();
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(CONTEXTS);
    const texts = await dash.locator('[data-testid="example"] .text').allTextContents();
    const checked = texts.filter((t) => !t.includes('\uFFFD'));
    expect(checked.length).toBeGreaterThan(0);
    for (const t of checked) expect(stream, `context "${t}"`).toContain(t);
    // the peak values shown are the built ones: at most the feature's max activation over the build
    const peaks = (await dash.getByTestId('example-act').allTextContents()).map(Number);
    expect(peaks.every((v) => v > 0)).toBe(true);
    expect(await dash.getByText('Activation histogram').isVisible()).toBe(true);
    await dash.getByTestId('examples').scrollIntoViewIfNeeded();
    await shot(page, '23-built-dashboard-feature');
    // samples from activation intervals, strongest first, each interval's contexts from the corpus
    const intervals = dash.getByTestId('interval');
    expect(await intervals.count()).toBeGreaterThan(0);
    const bounds = (await intervals.locator('.peak').allTextContents()).map((t) => t.split('–').map(Number));
    for (let i = 1; i < bounds.length; i++) expect(bounds[i][0]).toBeLessThan(bounds[i - 1][0]);
    for (const t of (await dash.locator('[data-testid="interval"] .sample').allTextContents()).filter((x) => !x.includes('\uFFFD'))) expect(stream).toContain(t);
    await dash.getByTestId('interval-samples').scrollIntoViewIfNeeded();
    await shot(page, '23b-built-dashboard-intervals');

    // after a reload the built dashboards are still known (kept in OPFS)
    await page.goto(`${base}?prompt=${encodeURIComponent('The ship sailed across the ocean')}`);
    await ready(page);
    await expect.poll(() => page.getByTestId('build-dashboards').locator('summary').textContent(), { timeout: 30_000 }).toMatch(/built from 768 tokens/);
    await page.context().close();
  });
});
