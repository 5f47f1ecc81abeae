// Chat mode: hidden for the bundled model (no chat template); with a picked Gemma 3 folder that has
// one (the fixture checkpoint, a Gemma-style tokenizer, Gemma 3's published template) a message
// gets a baseline and a steered reply side by side, and "New conversation" clears them.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { randomSaeLensFiles } from '../helpers/random_sae';
import { chatTokenizerFiles } from '../helpers/chat_tokenizer';
import { launch, openApp, ready, shot, writeFolder } from './browser';

const base = inject('baseUrl');
const FIXTURE = 'tests/fixtures/hf/gemma3-seed1';
let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'glassbox-chat-'));
  const template = JSON.parse(readFileSync('tests/fixtures/chat_templates.json', 'utf8'))['google/gemma-3-1b-it'].chat_template;
  const tok = chatTokenizerFiles(template);
  writeFolder(dir, 'gemma-it', {
    'config.json': readFileSync(join(FIXTURE, 'config.json')),
    'model.safetensors': readFileSync(join(FIXTURE, 'model.safetensors')),
    'tokenizer.json': tok.tokenizer,
    'tokenizer_config.json': tok.config,
  });
  writeFolder(dir, 'gemma-sae', randomSaeLensFiles({ dIn: 96, dSae: 200, hookName: 'blocks.2.hook_resid_post', arch: 'jumprelu', seed: 3 }));
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('chat mode', () => {
  it('is hidden for a model without a chat template; with an instruct model, replies come side by side', async () => {
    const page = await openApp(browser, `${base}?prompt=${encodeURIComponent('What is your physical form?')}`);
    await ready(page);
    expect(await page.getByTestId('generate').count()).toBe(1);
    expect(await page.getByTestId('chat-toggle').count()).toBe(0);

    const status = page.getByTestId('model-status');
    const picker = page.getByTestId('model-picker');
    await page.getByTestId('open-models').click();
    await picker.getByText('Model folder').locator('input').setInputFiles(join(dir, 'gemma-it'));
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toMatch(/ready.*local/s);
    await page.getByTestId('open-models').click();
    await picker.getByText('SAE folder').locator('input').setInputFiles(join(dir, 'gemma-sae'));
    await expect.poll(() => page.getByTestId('feature-row').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    if (await picker.isVisible()) await picker.getByRole('button', { name: 'close' }).click();
    await page.getByTestId('feature-row').first().click();
    await page.getByTestId('steer-toggle').click();

    await page.getByTestId('chat-toggle').check();
    expect(await page.getByTestId('generate').count()).toBe(0);
    await page.locator('label:has-text("tokens") input').fill('12');
    await page.getByTestId('chat-system').fill('Be brief.');
    await page.getByTestId('chat-input').fill('What is your physical form?');
    await page.getByTestId('chat-send').click();
    await expect.poll(() => page.getByTestId('chat-user').allTextContents()).toEqual(['What is your physical form?']);
    await page.getByTestId('stop').waitFor({ state: 'detached', timeout: 120_000 });
    const baseline = await page.getByTestId('chat-baseline').textContent();
    const steered = await page.getByTestId('chat-steered').textContent();
    expect(baseline!.length).toBeGreaterThan(0);
    expect(steered!.trim().length).toBeGreaterThan(0);
    expect(baseline).not.toContain('<end_of_turn>');
    await shot(page, '13-chat');

    // the system prompt is fixed for the conversation, and can change with a new one
    expect(await page.getByTestId('chat-system').isDisabled()).toBe(true);
    expect(new URL(page.url()).searchParams.get('sys')).toBe('Be brief.'); // a shared link carries it
    await page.getByTestId('chat-new').click();
    expect(await page.getByTestId('chat-user').count()).toBe(0);
    expect(await page.getByTestId('chat-system').inputValue()).toBe('Be brief.');
    expect(await page.getByTestId('chat-system').isDisabled()).toBe(false);
    await page.context().close();
  });
});
