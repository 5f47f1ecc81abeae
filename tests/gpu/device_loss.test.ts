// A lost GPU device is survivable: device.destroy() in the middle of a generation, or while idle
// (as a driver reset reports it), ends the call in a GpuDeviceLost; recover() takes a new device
// and reloads the model and SAE from where they came (the download cache: no request), and the
// engine then gives what it gave before the loss.
import { describe, expect, inject, it } from 'vitest';
import { hubFolderUrl } from '../../src/store/hub';
import type { GenerateRequest, ModelSource, SaeSource } from '../../src/worker/api';
import { Engine } from '../../src/worker/engine';

const hub = inject('hubUrl');
const requests = async () => ((await (await fetch(`${hub}/__log`)).json()) as unknown[]).length;

const model: ModelSource = { kind: 'url', baseUrl: hubFolderUrl(hub, 'test/tiny-gpt2-lost'), cache: true };
const sae: SaeSource = { kind: 'url', baseUrl: hubFolderUrl(hub, 'test/tiny-saes', 'blocks.1.hook_resid_pre'), cache: true, maxActivations: new Float32Array(128).fill(2) };
const req: GenerateRequest = {
  prompt: 'the lost device', maxNewTokens: 24, sampling: { temperature: 0.8, topK: 40, topP: 0.95 }, seed: 5, stopAtEos: false,
  steering: [{ feature: 7, mode: 'add', value: 4, unit: 'max_act' }],
};

describe('device loss', () => {
  it('mid-generation and while idle: a GpuDeviceLost, then recover() reloads model and SAE from the cache with no request', async () => {
    const engine = new Engine();
    await engine.load(model, undefined, sae);
    const before = await engine.analyze({ text: 'the lost device' });
    const whole = await engine.generate(req, () => {});

    // 1. destroyed in the middle of a generation
    let tokens = 0;
    const err = await engine
      .generate(req, (e) => {
        if (e.type === 'token' && ++tokens === 3) void engine.loseDevice();
      })
      .catch((e) => e);
    expect(err).toMatchObject({ name: 'GpuDeviceLost' });
    await expect(engine.analyze({ text: 'x' })).rejects.toMatchObject({ name: 'GpuDeviceLost' });
    const n = await requests();
    const info = await engine.recover();
    expect(info.sae?.config.dSae).toBe(128);
    expect(await requests()).toBe(n); // every file came from the cache
    const after = await engine.analyze({ text: 'the lost device' });
    expect(Array.from(after.topIdx)).toEqual(Array.from(before.topIdx));
    const again = await engine.generate(req, () => {});
    expect(again.baseline!.ids).toEqual(whole.baseline!.ids);
    expect(again.steered!.ids).toEqual(whole.steered!.ids);

    // 2. lost while idle (what a driver reset looks like to the page): the next call reports it
    await engine.loseDevice();
    await expect(engine.forward({ text: 'a' })).rejects.toMatchObject({ name: 'GpuDeviceLost' });
    await engine.recover();
    expect(Array.from((await engine.analyze({ text: 'the lost device' })).topIdx)).toEqual(Array.from(before.topIdx));
    expect(await requests()).toBe(n);
    await engine.dispose();
  });

  it('recover() before anything was loaded is a typed error', async () => {
    await expect(new Engine().recover()).rejects.toMatchObject({ name: 'EngineStateError' });
  });
});
