// Models and SAEs from a Hub-layout HTTP server (tests/helpers/hub_server.ts): cached downloads
// in OPFS with progress, resume after an interruption, reload and offline reopen from the cache,
// an SAE for another d_model refused, and GPT-2 small's exact shapes at full size.
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { Engine } from '../../src/worker/engine';
import type { LoadProgress } from '../../src/worker/api';
import { hubFolderUrl } from '../../src/store/hub';
import { clearDownloads, isCached } from '../../src/store/download';
import { parseGpt2Config } from '../../src/model/config';
import { parseSafetensors } from '../../src/model/safetensors';
import { gpt2Weights } from '../../src/model/weights';
import { gpt2Ref } from '../../src/reference/gpt2';
import { expectClose } from '../util';
import { halfWeights } from '../helpers/load_model';

const hub = inject('hubUrl');
const log = async () => (await fetch(`${hub}/__log`)).json() as Promise<Array<{ path: string; range: string | null; status: number }>>;

beforeAll(async () => {
  await clearDownloads();
});

describe('Hub downloads', () => {
  it('downloads a model with progress, then loads it again from the cache without the network', async () => {
    const baseUrl = hubFolderUrl(hub, 'test/tiny-gpt2');
    const progress: LoadProgress[] = [];
    const engine = new Engine();
    const info = await engine.load({ kind: 'url', baseUrl, cache: true }, (p) => progress.push(p));
    expect(info.config.dModel).toBe(96);
    const fetched = progress.filter((p) => p.stage === 'fetch' && p.file === 'model.safetensors');
    expect(fetched.at(-1)!.loaded).toBe(fetched.at(-1)!.total);
    expect(fetched.some((p) => (p.bytesPerSec ?? 0) > 0 && p.fromCache === false)).toBe(true);
    expect(await isCached(`${baseUrl}model.safetensors`)).toBe(true);
    await engine.dispose();

    // "reload": a new engine, as after reopening the page; nothing new reaches the server
    const before = (await log()).length;
    const again = new Engine();
    const p2: LoadProgress[] = [];
    await again.load({ kind: 'url', baseUrl, cache: true }, (p) => p2.push(p));
    expect(p2.filter((p) => p.stage === 'fetch').every((p) => p.fromCache)).toBe(true);
    expect((await log()).length).toBe(before);
    expect((await again.forward({ text: 'the' })).logits.length).toBe(260);
    await again.dispose();
  });

  it('resumes an interrupted download with a Range request', async () => {
    const repo = 'test/tiny-gpt2-resume';
    const baseUrl = hubFolderUrl(hub, repo);
    await fetch(`${hub}/__arm-cut/${encodeURIComponent(`${repo}/model.safetensors`)}`);
    const engine = new Engine();
    await expect(engine.load({ kind: 'url', baseUrl, cache: true })).rejects.toMatchObject({
      name: 'ModelFileError',
      message: expect.stringMatching(/model\.safetensors.*interrupted.*resumes/),
    });
    const info = await engine.load({ kind: 'url', baseUrl, cache: true });
    expect(info.config.nLayers).toBe(2);
    const hits = (await log()).filter((l) => l.path === `${repo}/model.safetensors`);
    expect(hits.map((h) => h.status)).toEqual([200, 206]);
    expect(hits[1].range).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(hits[1].range!)![0])).toBeGreaterThan(0);
    await engine.dispose();
  });

  it('cancels a download mid-way with a typed error; the next load resumes it', async () => {
    const repo = 'test/tiny-gpt2-cancel';
    const baseUrl = hubFolderUrl(hub, repo);
    await fetch(`${hub}/__arm-slow/${encodeURIComponent(`${repo}/model.safetensors`)}`);
    const engine = new Engine();
    let cancelled = false;
    const first = engine.load({ kind: 'url', baseUrl, cache: true }, (p) => {
      if (p.file === 'model.safetensors' && p.loaded > 50_000 && !cancelled) {
        cancelled = true;
        void engine.cancel();
      }
    });
    await expect(first).rejects.toMatchObject({ name: 'DownloadCancelled', message: expect.stringMatching(/model\.safetensors.*resumes/) });
    expect((await engine.load({ kind: 'url', baseUrl, cache: true })).config.nLayers).toBe(2);
    const hits = (await log()).filter((l) => l.path === `${repo}/model.safetensors`);
    expect(hits.map((h) => h.status)).toEqual([200, 206]);
    await engine.dispose();
  });

  it('refuses an SAE trained for another d_model, with a clear message', async () => {
    const engine = new Engine();
    await engine.load({ kind: 'url', baseUrl: hubFolderUrl(hub, 'test/tiny-gpt2'), cache: true });
    await expect(engine.loadSae({ kind: 'url', baseUrl: hubFolderUrl(hub, 'test/gpt2-saes', 'blocks.1.hook_resid_pre'), cache: true })).rejects.toMatchObject({
      name: 'SaeCompatibilityError',
      message: expect.stringMatching(/d_in is 768 but the model's d_model is 96: this SAE was trained on another model/),
    });
    const ok = await engine.loadSae({ kind: 'url', baseUrl: hubFolderUrl(hub, 'test/tiny-saes', 'blocks.1.hook_resid_pre'), cache: true });
    expect(ok.config.dSae).toBe(128);
    const res = await engine.analyze({ text: 'the sea' });
    expect(res.ids).toEqual((await engine.tokenize('the sea')).ids);
    expect(res.error.length).toBe(2 * res.ids.length);
    await engine.dispose();
  });

  it("loads a model with GPT-2 small's exact shapes (~500 MB), in f32 and in f16, and runs forward passes that match the CPU reference", async () => {
    const baseUrl = hubFolderUrl(hub, 'test/gpt2-small-random');
    const ids = [464, 3290, 286, 50256];
    // the longest test of the suite (several minutes on a loaded 2-core machine): it says where it is
    const t0 = performance.now();
    const step = (what: string) => console.log(`[glassbox] GPT-2 small shapes: ${what} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    const engine = new Engine();
    const info = await engine.load({ kind: 'url', baseUrl, cache: true, weights: 'f32' }, (p) => p.stage !== 'fetch' && step(`f32 ${p.stage}`));
    expect(info.config).toMatchObject({ nLayers: 12, dModel: 768, nHeads: 12, vocabSize: 50257, nCtx: 1024 });
    expect(info.nParams).toBe(124_439_808);
    const res = await engine.forward({ ids, logits: 'last' });
    step('f32 forward done');
    // the same files again, from the cache, stored as halves: wte (77 MB) now fits one binding
    const info16 = await engine.load({ kind: 'url', baseUrl, cache: true, weights: 'f16' }, (p) => p.stage !== 'fetch' && step(`f16 ${p.stage}`));
    expect(info16.weightDtype).toBe('f16');
    expect(info16.weightBytes).toBeLessThan(0.51 * info.weightBytes);
    console.log(`[glassbox] GPT-2 small shapes: weights on the GPU ${(info.weightBytes / 1e6).toFixed(0)} MB in f32, ${(info16.weightBytes / 1e6).toFixed(0)} MB in f16`);
    const res16 = await engine.forward({ ids, logits: 'last' });
    await engine.dispose();
    step('f16 forward done; CPU reference next');
    const buf = await (await fetch(`${baseUrl}model.safetensors`)).arrayBuffer();
    const cfg = parseGpt2Config(await (await fetch(`${baseUrl}config.json`)).text());
    const weights = gpt2Weights(parseSafetensors(buf, 'model.safetensors'), cfg);
    const ref = gpt2Ref(cfg, weights, ids);
    expectClose('GPT-2 small shapes, last-token logits', res.logits, ref.logits.subarray(3 * 50257), 1e-3, 0);
    const ref16 = gpt2Ref(cfg, halfWeights(cfg, weights), ids);
    expectClose('GPT-2 small shapes in f16, last-token logits', res16.logits, ref16.logits.subarray(3 * 50257), 1e-3, 0);
    step('done');
  }, 900_000);
});
