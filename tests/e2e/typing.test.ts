// Live analysis as you type (src/ui/state/analysis.svelte.ts): no debounce, one analysis in flight
// plus the newest text. Typing fast ends with the strip of the final text; every strip the page
// ever shows is the strip of what the textarea held at that moment (a stale answer is dropped,
// never shown). With a feature's dashboard open, its activations follow the final text too.
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

interface Shown {
  /** The strip's tokens joined, as displayed (· for a space). */
  strip: string;
  /** The textarea's text when the strip changed. */
  text: string;
}

describe('typing', () => {
  it('typing quickly ends with the strip for the final text, and no stale strip is ever shown', async () => {
    const start = 'The ship';
    const page = await openApp(browser, `${base}?prompt=${encodeURIComponent(start)}`);
    await ready(page);
    const tokens = async () => (await page.getByTestId('token').allTextContents()).join('');
    await expect.poll(tokens, { timeout: 60_000 }).toBe('The·ship');
    // every change of the strip, with the textarea's text at that moment (the observer runs in
    // the same task as the DOM update, before any further input event)
    await page.evaluate(() => {
      const w = window as unknown as { __shown: Shown[] };
      w.__shown = [];
      const strip = document.querySelector('[aria-label="tokens"]')!;
      const input = document.querySelector<HTMLTextAreaElement>('[data-testid="prompt-input"]')!;
      new MutationObserver(() => {
        const shown = [...strip.querySelectorAll('[data-testid="token"]')].map((t) => t.textContent).join('');
        w.__shown.push({ strip: shown, text: input.value });
      }).observe(strip, { childList: true, subtree: true, characterData: true });
    });
    const input = page.getByTestId('prompt-input');
    await input.focus();
    await page.keyboard.press('End');
    const typed = ' sailed across the ocean and the whale swam under the waves';
    await input.pressSequentially(typed, { delay: 0 });
    // a backspace and a last word, fast too
    await page.keyboard.press('Backspace');
    await input.pressSequentially('s!', { delay: 0 });
    const final = `${start}${typed.slice(0, -1)}s!`;
    expect(await input.inputValue()).toBe(final);
    await expect.poll(tokens, { timeout: 60_000 }).toBe(final.replaceAll(' ', '·'));
    await page.waitForTimeout(2000); // nothing may arrive after the final strip
    await shot(page, '24-typing-fast');
    const shown = await page.evaluate(() => (window as unknown as { __shown: Shown[] }).__shown);
    console.log(`[glassbox] ${typed.length + 3} keystrokes, ${new Set(shown.map((s) => s.text)).size} strips shown: ${JSON.stringify(shown.map((s) => s.text.length))}`);
    expect(shown.length).toBeGreaterThan(0);
    for (const s of shown) expect(s.strip.replaceAll('·', ' '), 'a strip shown beside another text').toBe(s.text);
    expect(shown[shown.length - 1].text).toBe(final);
    expect(await tokens()).toBe(final.replaceAll(' ', '·'));
    // how many strips were shown depends on the machine's speed against the typing (the
    // coalescing itself is checked step by step in tests/unit/analysis_state.test.ts)
    // the features panel follows the final text too
    expect(await page.getByTestId('feature-row').count()).toBeGreaterThan(0);
    await page.context().close();
  });

  it("with a feature's dashboard open, typing quickly ends with its activations on the final text, as a fresh page shows them", async () => {
    const start = 'The ship sailed across the ocean';
    const final = `${start} and the whale swam under the ship`;
    const n = final.split(' ').length; // one token a word here
    // each token of the dashboard's "On this prompt", with the feature's value on it
    const acts = (p: Page) =>
      p.getByTestId('feature-dashboard').locator('section').filter({ has: p.locator('h3', { hasText: 'On this prompt' }) }).locator('.run .t').evaluateAll((ts) => ts.map((t) => `${t.textContent}=${t.getAttribute('data-act') ?? ''}`));
    // the final text analysed whole: the feature strongest on its last token (a typed one)
    const fresh = await openApp(browser, `${base}?prompt=${encodeURIComponent(final)}`);
    await ready(fresh);
    await expect.poll(() => fresh.getByTestId('token').count(), { timeout: 60_000 }).toBe(n);
    await fresh.getByTestId('token').nth(n - 1).click();
    await fresh.getByText(`Features on token ${n - 1}`).waitFor();
    const id = (await fresh.getByTestId('feature-row').first().getAttribute('data-feature-id'))!;
    await fresh.getByTestId('feature-row').first().click();
    await expect.poll(async () => (await acts(fresh)).length, { timeout: 60_000 }).toBe(n);
    const want = await acts(fresh);
    expect(want[n - 1].endsWith('='), `feature ${id} fires on the last token`).toBe(false);
    await fresh.context().close();
    // the start typed on, with that feature's dashboard open
    const page = await openApp(browser, `${base}?prompt=${encodeURIComponent(start)}`);
    await ready(page);
    await expect.poll(() => page.getByTestId('feature-row').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await page.getByTestId('feature-search').fill(`#${id}`);
    await page.locator(`[data-testid="feature-row"][data-feature-id="${id}"]`).click();
    await expect.poll(async () => (await acts(page)).length, { timeout: 60_000 }).toBe(start.split(' ').length);
    const input = page.getByTestId('prompt-input');
    await input.focus();
    await page.keyboard.press('End');
    await input.pressSequentially(final.slice(start.length), { delay: 0 });
    await expect.poll(async () => (await page.getByTestId('token').allTextContents()).join(''), { timeout: 60_000 }).toBe(final.replaceAll(' ', '·'));
    await expect.poll(async () => (await acts(page)).length, { timeout: 60_000 }).toBe(n);
    await page.waitForTimeout(1500);
    expect(await acts(page)).toEqual(want);
    await shot(page, '25-typing-feature-open');
    await page.context().close();
  });
});
