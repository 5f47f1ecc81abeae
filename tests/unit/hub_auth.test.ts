// Gated repos and the GPU memory estimate: the bearer token goes to the Hub endpoint's origin only
// and a 401/403 is a HubAuthError that says what to do; the estimate refuses a model the adapter
// cannot hold, before its weights download; the Gemma catalog entries with their sizes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, hubAuth, hubEndpoint, hubToken, parseRepoId, formatRepoRef, saveHubToken } from '../../src/store/hub';
import { readSourceFile } from '../../src/store/sources';
import { MODELS, SAES, catalogEstimate, saeListing, totalBytes } from '../../src/store/catalog';
import { checkFits, estimateGpuMemory } from '../../src/model/memory';
import { parseDecoderConfig } from '../../src/model/decoder_config';
import { GEMMA2_2B } from '../../src/model/hub_configs';
import { HubServer } from '../helpers/hub_server';
import { tinyGemmaRepo } from '../helpers/random_gemma';

const TOKEN = 'hf_testtoken123';
let hub: HubServer;
let url: string;

beforeAll(async () => {
  hub = new HubServer();
  for (const [path, data] of Object.entries(tinyGemmaRepo())) hub.add('google/gemma-3-270m', path, data);
  hub.gate('google/gemma-3-270m', TOKEN);
  url = await hub.start();
});
afterAll(() => hub.stop());

describe('Hub access tokens', () => {
  it('sends the bearer header only to the endpoint origin', () => {
    const auth = hubAuth('https://huggingface.co/', TOKEN)!;
    expect(authHeaders('https://huggingface.co/google/gemma-2-2b/resolve/main/config.json', auth)).toEqual({ Authorization: `Bearer ${TOKEN}` });
    expect(authHeaders('https://cdn-lfs.huggingface.co/x', auth)).toEqual({});
    expect(authHeaders('https://huggingface.co.evil.example/x', auth)).toEqual({});
    expect(authHeaders('http://huggingface.co/x', auth)).toEqual({});
    expect(hubAuth('https://huggingface.co', null)).toBeUndefined();
  });

  it('parses repo ids as from_pretrained takes them', () => {
    expect(parseRepoId('google/gemma-3-270m')).toEqual({ repo: 'google/gemma-3-270m', folder: '', revision: 'main' });
    expect(parseRepoId(' google/gemma-scope-2-270m-pt/resid_post/layer_9_width_16k_l0_medium@abc123 ')).toEqual({
      repo: 'google/gemma-scope-2-270m-pt', folder: 'resid_post/layer_9_width_16k_l0_medium', revision: 'abc123',
    });
    expect(formatRepoRef(parseRepoId('a/b@v1.0')!)).toBe('a/b@v1.0');
    for (const bad of ['gpt2', 'a/../b', 'a/b/../c', 'https://x/y', '']) expect(parseRepoId(bad)).toBeNull();
  });

  it('a gated repo answers 401 without the token: a HubAuthError that says what to do, with no token in it', async () => {
    const base = `${url}/google/gemma-3-270m/resolve/main/`;
    const err = await readSourceFile({ kind: 'url', baseUrl: base }, 'config.json', false).catch((e) => e);
    expect(err.name).toBe('HubAuthError');
    expect(err.message).toMatch(/401.*Accept the licence on the model page \(.*google\/gemma-3-270m\).*access token/s);
    // optional files too: a refusal is not "absent"
    expect((await readSourceFile({ kind: 'url', baseUrl: base }, 'model.safetensors.index.json', true).catch((e) => e)).name).toBe('HubAuthError');
    const wrong = await readSourceFile({ kind: 'url', baseUrl: base, auth: hubAuth(url, 'hf_wrong') }, 'config.json', false).catch((e) => e);
    expect(wrong.name).toBe('HubAuthError');
    expect(wrong.message).toMatch(/403.*token was refused/);
    expect(wrong.message).not.toContain('hf_wrong');
    // a token for another origin is not sent
    const elsewhere = await readSourceFile({ kind: 'url', baseUrl: base, auth: hubAuth('https://huggingface.co', TOKEN) }, 'config.json', false).catch((e) => e);
    expect(elsewhere.name).toBe('HubAuthError');
    const ok = await readSourceFile({ kind: 'url', baseUrl: base, auth: hubAuth(url, TOKEN) }, 'config.json', false);
    expect(JSON.parse(new TextDecoder().decode(ok!)).model_type).toBe('gemma3_text');
    expect(hub.log.map((e) => [e.status, e.auth])).toEqual([[401, null], [401, null], [403, 'Bearer hf_wrong'], [401, null], [200, `Bearer ${TOKEN}`]]);
  });
});

describe('GPU memory estimate', () => {
  it('gemma-2-2b in f16 needs about 6 GiB: weights 5.23 GB, KV caches 2 x 0.44 GB (baseline and steered), activations 0.34 GB; an SAE adds its share', () => {
    const est = estimateGpuMemory(parseDecoderConfig(JSON.stringify(GEMMA2_2B)), 'f16');
    // matrices in f16: embed 256000 x 2304 + 26 x (qkv 2304x4096, o 2048x2304, gate_up 2304x18432, down 9216x2304); norms f32
    expect(est.weights).toBe(2 * (256000 * 2304 + 26 * 77_856_768) + 4 * (26 * 4 * 2304 + 2304));
    expect(est.weights / 1e9).toBeCloseTo(5.23, 2);
    expect(est.kvCache).toBe(2 * 2 * 26 * 2048 * 4 * 256 * 4); // streams x (K, V) x layers x ctx x NKV HS x 4
    expect(est.nCtx).toBe(2048);
    expect(est.sae).toBe(0);
    expect(est.total / 2 ** 30).toBeGreaterThan(5.8);
    expect(est.total / 2 ** 30).toBeLessThan(6.2);
    // Gemma Scope 16k: W_enc and W_enc^T in f16, W_dec f32, biases and aux f32, (T, d_sae) activations at T = 2048
    const S = 16384;
    const withSae = estimateGpuMemory(parseDecoderConfig(JSON.stringify(GEMMA2_2B)), 'f16', { dSae: S });
    expect(withSae.sae).toBe(2 * S * 2304 * 2 + S * 2304 * 4 + (5 * S + 2304) * 4 + 2048 * (S * 4 + 3 * 2304 * 4 + 16 + 2 * 64 * 4));
    expect(withSae.total - est.total).toBe(withSae.sae);
    expect(estimateGpuMemory(parseDecoderConfig(JSON.stringify(GEMMA2_2B)), 'f32').weights / 1e9).toBeCloseTo(10.46, 1);
  });

  it('refuses a buffer the adapter cannot bind, and a model over half of a small device memory', () => {
    const est = estimateGpuMemory(parseDecoderConfig(JSON.stringify(GEMMA2_2B)), 'f16');
    const big = 4 * 2 ** 30;
    expect(() => checkFits(est, { maxBinding: big, maxBufferSize: big })).not.toThrow();
    expect(() => checkFits(est, { maxBinding: big, maxBufferSize: big, deviceMemoryGB: 8 })).not.toThrow(); // 8 = the cap: unknown
    expect(() => checkFits(est, { maxBinding: big, maxBufferSize: big, deviceMemoryGB: 4 })).toThrow(expect.objectContaining({ name: 'ModelTooLargeError', message: expect.stringMatching(/about 6\.\d\d GB.*half of this device's 4 GB/) }));
    // the gate_up activation (2048 x 18432 x 4 = 151 MB) must be bound whole
    expect(() => checkFits(est, { maxBinding: 128 * 2 ** 20, maxBufferSize: 256 * 2 ** 20 })).toThrow(expect.objectContaining({ name: 'ModelTooLargeError', message: expect.stringMatching(/activation gate_up.*limit of 128 MiB/) }));
  });
});

describe('Gemma catalog', () => {
  it('lists Gemma 3 270M / 1B (pt and it) with Gemma Scope 2 and Gemma 2 2B with the canonical 16k Gemma Scope, with sizes', () => {
    expect(MODELS.map((m) => m.repo)).toEqual(['openai-community/gpt2', 'google/gemma-3-270m', 'google/gemma-3-270m-it', 'google/gemma-3-1b-pt', 'google/gemma-3-1b-it', 'google/gemma-2-2b']);
    const gs2 = SAES.find((s) => s.id === 'gemma-scope-2-270m-it/9')!;
    expect([gs2.repo, gs2.folder, gs2.hookName]).toEqual(['google/gemma-scope-2-270m-it', 'resid_post/layer_9_width_16k_l0_medium', 'blocks.9.hook_resid_post']);
    expect(saeListing(gs2)).toEqual(['config.json', 'params.safetensors']);
    const gs = SAES.find((s) => s.id === 'gemma-scope-2b-pt-res-canonical/20')!;
    expect([gs.repo, gs.folder, gs.overrides?.hookName, saeListing(gs)]).toEqual(['google/gemma-scope-2b-pt-res', 'layer_20/width_16k/average_l0_71', 'blocks.20.hook_resid_post', ['params.npz']]);
    expect(SAES.filter((s) => s.modelId === 'gemma-2-2b')).toHaveLength(26);
    for (const m of MODELS) {
      expect(SAES.some((s) => s.modelId === m.id)).toBe(true);
      expect(totalBytes(m.files)).toBeGreaterThan(0);
    }
    const g2 = MODELS.find((m) => m.id === 'gemma-2-2b')!;
    expect(totalBytes(g2.files) / 1e9).toBeCloseTo(10.47, 1);
    expect(catalogEstimate(g2, 'f16').total / 2 ** 30).toBeCloseTo(6.0, 1);
    const scope = SAES.find((s) => s.modelId === 'gemma-2-2b')!;
    expect(catalogEstimate(g2, 'f16', scope).sae).toBeGreaterThan(0);
    expect(catalogEstimate(MODELS[1], 'f16').weights / 1e6).toBeCloseTo(536, -1);
  });
});

describe('the saved token', () => {
  it('is bound to the endpoint it was saved for: a link with another ?hub= never gets it', () => {
    const store = new Map<string, string>();
    const ls = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v), removeItem: (k: string) => void store.delete(k) };
    const g = globalThis as { localStorage?: unknown };
    const saved = g.localStorage;
    g.localStorage = ls;
    try {
      saveHubToken('hf_mine', 'https://huggingface.co');
      expect(hubToken('https://huggingface.co')).toBe('hf_mine');
      expect(hubAuth('https://huggingface.co')?.token).toBe('hf_mine');
      expect(hubToken('http://attacker.example')).toBeNull();
      expect(hubAuth('http://attacker.example')).toBeUndefined();
      expect(hubAuth(hubEndpoint('?hub=http://attacker.example'))).toBeUndefined();
      expect([...store.values()].join()).not.toMatch(/attacker/);
      // a token saved before tokens were bound (a bare string) belongs to huggingface.co
      store.set('glassbox-hub-token', 'hf_old');
      expect(hubToken('https://huggingface.co')).toBe('hf_old');
      expect(hubToken('http://mirror.example')).toBeNull();
      saveHubToken(null);
      expect(hubToken('https://huggingface.co')).toBeNull();
    } finally {
      g.localStorage = saved;
    }
  });
});
