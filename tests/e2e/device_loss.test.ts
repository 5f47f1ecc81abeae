// A lost GPU device, in the page: lost while idle (the browser reports it) and lost in the middle
// of a generation. The app takes a new device and reloads the model and SAE by itself, says so,
// and keeps the prompt, the steering and the settings. The loss is made with the page's debug
// handle (window.glassboxDebug.loseDevice: device.destroy() in the worker, as a driver reset).
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

const lose = (page: Page) => page.evaluate(() => (window as unknown as { glassboxDebug: { loseDevice(): Promise<void> } }).glassboxDebug.loseDevice());

describe('device loss in the page', () => {
  it('recovers by itself, idle or mid-generation, keeping prompt, steering and settings', async () => {
    const url = `${base}?prompt=${encodeURIComponent('The ship sailed')}&steer=5c2&temp=0.7&seed=9`;
    const page = await openApp(browser, url);
    await ready(page);
    const banner = page.getByTestId('error-banner');
    const status = page.getByTestId('model-status');
    await expect.poll(() => page.getByTestId('feature-row').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    const features = await page.getByTestId('feature-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-feature-id')));

    // 1. lost while idle: the browser's report is enough, no call has to fail first
    await lose(page);
    await expect.poll(() => banner.textContent(), { timeout: 120_000 }).toMatch(/device was lost.*reloaded the model and SAE.*prompt, steering and settings are kept/s);
    await expect.poll(() => status.textContent(), { timeout: 120_000 }).toMatch(/ready.*glassbox-mini/s);
    await expect.poll(() => page.getByTestId('feature-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-feature-id'))), { timeout: 60_000 }).toEqual(features);
    expect(await page.getByTestId('prompt-input').inputValue()).toBe('The ship sailed');
    expect(page.url()).toMatch(/steer=5c2.*temp=0\.7.*seed=9/);
    await shot(page, '17-device-lost-recovered');
    await banner.getByRole('button', { name: 'Dismiss' }).click();

    // 2. lost in the middle of a generation
    await page.getByTestId('generate').click();
    await page.waitForTimeout(300);
    await lose(page);
    await expect.poll(() => banner.textContent(), { timeout: 120_000 }).toMatch(/device was lost.*reloaded/s);
    await expect.poll(() => status.textContent(), { timeout: 120_000 }).toMatch(/ready/);
    // and it works again: a generation runs to the end
    await page.getByTestId('generate').click();
    await expect.poll(() => page.getByTestId('generate').isEnabled(), { timeout: 120_000 }).toBe(true);
    expect(page.url()).toMatch(/steer=5c2/);
    await page.context().close();
  });
});
