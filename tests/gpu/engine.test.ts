// The Engine driven directly (no worker): loading, hooks, generation, cancel, context overflow.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/worker/engine';
import type { GenerateEvent, LoadProgress } from '../../src/worker/api';
import { gpt2Ref } from '../../src/reference/gpt2';
import { parseGpt2Config } from '../../src/model/config';
import { parseSafetensors } from '../../src/model/safetensors';
import { gpt2Weights } from '../../src/model/weights';
import { expectClose } from '../util';
import { randomModelSource } from '../helpers/files_source';

const sampling = { temperature: 0.9, topK: 40, topP: 0.95 };

async function loaded(nCtx = 48) {
  const engine = new Engine();
  const source = randomModelSource(1, nCtx);
  const progress: LoadProgress[] = [];
  const info = await engine.load(source, (p) => progress.push(p));
  return { engine, source, info, progress };
}

describe('Engine', () => {
  it('loads with progress through every stage, and returns hooks by TransformerLens name', async () => {
    const { engine, source, info, progress } = await loaded();
    expect(info.config.nLayers).toBe(2);
    expect(progress.map((p) => p.stage).filter((s, i, a) => a.indexOf(s) === i)).toEqual(['parse', 'upload', 'compile', 'ready']);
    const res = await engine.forward({ text: 'the cat', hooks: ['blocks.1.hook_resid_mid'], logits: 'all' });
    expect(res.pieces.join('')).toBe('the cat');
    const cfg = parseGpt2Config(new TextDecoder().decode(source.files['config.json']));
    const w = gpt2Weights(parseSafetensors(source.files['model.safetensors'], 'model.safetensors'), cfg);
    const ref = gpt2Ref(cfg, w, res.ids);
    expectClose('logits', res.logits, ref.logits, 1e-3, 0);
    expectClose('hook_resid_mid', res.hooks['blocks.1.hook_resid_mid'], ref.hooks['blocks.1.hook_resid_mid'], 1e-4, 1e-4);
    await engine.dispose();
  });

  it("stores weights as the adapter suits ('auto'), or as asked, and reports it with the memory in use", async () => {
    const { engine, source, info } = await loaded();
    // 'auto': f16 exactly where the adapter has shader-f16 (SwiftShader has not)
    expect(info.weightChoice).toBe('auto');
    expect(info.weightDtype).toBe(info.features.shaderF16 ? 'f16' : 'f32');
    const mem32 = (await engine.memory())!;
    const f16 = await engine.load({ ...source, weights: 'f16' });
    expect([f16.weightChoice, f16.weightDtype]).toEqual(['f16', 'f16']);
    const mem16 = (await engine.memory())!;
    expect(mem16.weightDtype).toBe('f16');
    expect(mem16.shaderF16Available).toBe(info.features.shaderF16);
    expect(f16.weightBytes).toBe(mem16.weights);
    if (info.weightDtype === 'f32') expect(mem16.weights).toBeLessThan(0.6 * mem32.weights);
    const res = await engine.forward({ text: 'the cat', logits: 'all' });
    expect(res.logits.every(Number.isFinite)).toBe(true);
    await expect(engine.load({ ...source, weights: 'f8' as 'f16' })).rejects.toMatchObject({ name: 'EngineStateError', message: expect.stringMatching(/weights must be/) });
    expect((await engine.memory())!.weightDtype).toBe('f16'); // the loaded model stays
    await engine.dispose();
  });

  it('the same seed gives the same tokens, streamed one event per token', async () => {
    const { engine } = await loaded();
    const events: GenerateEvent[] = [];
    const a = (await engine.generate({ prompt: 'the ', maxNewTokens: 10, sampling, seed: 7, stopAtEos: false }, (e) => events.push(e))).baseline!;
    const b = (await engine.generate({ prompt: 'the ', maxNewTokens: 10, sampling, seed: 7, stopAtEos: false }, () => {})).baseline!;
    const c = (await engine.generate({ prompt: 'the ', maxNewTokens: 10, sampling, seed: 8, stopAtEos: false }, () => {})).baseline!;
    expect(a.ids).toHaveLength(10);
    expect(a.reason).toBe('max_tokens');
    expect(b.ids).toEqual(a.ids);
    expect(c.ids).not.toEqual(a.ids);
    expect(events.filter((e) => e.type === 'token').map((e) => (e as { id: number }).id)).toEqual(a.ids);
    await engine.dispose();
  });

  it('greedy generation equals argmax of a fresh full forward at every step', async () => {
    const { engine } = await loaded();
    const g = (await engine.generate({ prompt: 'he', maxNewTokens: 5, sampling: { temperature: 0, topK: 0, topP: 1 }, seed: 0, stopAtEos: false }, () => {})).baseline!;
    const prompt = (await engine.tokenize('he')).ids;
    const seq = [...prompt, ...g.ids];
    const full = await engine.forward({ ids: seq, logits: 'all' });
    const V = full.logits.length / seq.length;
    for (let i = 0; i < g.ids.length; i++) {
      const row = full.logits.subarray((prompt.length - 1 + i) * V, (prompt.length + i) * V);
      expect(g.ids[i]).toBe(row.indexOf(Math.max(...row)));
    }
    await engine.dispose();
  });

  it('cancel stops a generation mid-stream', async () => {
    const { engine } = await loaded();
    let n = 0;
    const run = engine.generate({ prompt: 'the', maxNewTokens: 40, sampling, seed: 1, stopAtEos: false }, (e) => {
      if (e.type === 'token' && ++n === 3) void engine.cancel();
    });
    const res = (await run).baseline!;
    expect(res.reason).toBe('cancelled');
    expect(res.ids.length).toBeLessThan(40);
    // the engine is still usable afterwards
    expect((await engine.generate({ prompt: 'the', maxNewTokens: 2, sampling, seed: 1, stopAtEos: false }, () => {})).baseline!.ids).toHaveLength(2);
    await engine.dispose();
  });

  it('a prompt longer than the context gives a notice, not an error, and generation continues past the context', async () => {
    const { engine } = await loaded(16);
    const events: GenerateEvent[] = [];
    const res = (await engine.generate({ prompt: 'x'.repeat(40), maxNewTokens: 20, sampling, seed: 3, stopAtEos: false }, (e) => events.push(e))).baseline!;
    const notices = events.filter((e) => e.type === 'notice').map((e) => (e as { message: string }).message);
    expect(notices[0]).toMatch(/prompt is 40 tokens; the model's context is 16/);
    expect(notices.some((m) => /reached the 16-token context/.test(m))).toBe(true);
    expect(res.ids).toHaveLength(20);
    const fwd = await engine.forward({ text: 'y'.repeat(30) });
    expect(fwd.notice).toMatch(/Only the last 16 tokens were used/);
    expect(fwd.ids).toHaveLength(16);
    await engine.dispose();
  });

  it('bad input is a typed error, and the engine keeps working', async () => {
    const { engine, source } = await loaded();
    const corrupt = { ...source.files, 'model.safetensors': source.files['model.safetensors'].slice(0, 1000) };
    await expect(engine.load({ kind: 'files', files: corrupt })).rejects.toMatchObject({ name: 'ModelFileError' });
    await expect(engine.load({ kind: 'files', files: { ...source.files, 'config.json': new TextEncoder().encode('{').buffer as ArrayBuffer } }))
      .rejects.toMatchObject({ name: 'ModelConfigError', message: expect.stringMatching(/config\.json/) });
    await expect(engine.forward({ hooks: ['blocks.9.hook_resid_pre'], text: 'a' })).rejects.toThrow(/layers 0\.\.1/);
    await expect(engine.generate({ prompt: 'a', maxNewTokens: 1, sampling: { temperature: -1, topK: 0, topP: 1 }, seed: 0 }, () => {})).rejects.toThrow(/temperature/);
    expect((await engine.forward({ text: 'still works' })).ids.length).toBeGreaterThan(0);
    await engine.dispose();
  });

  it('refuses work before a model is loaded', async () => {
    const engine = new Engine();
    await expect(engine.forward({ text: 'a' })).rejects.toMatchObject({ name: 'EngineStateError' });
  });
});
