import { describe, expect, it } from 'vitest';
import { FeatureCatalog } from '../../src/ui/state/features.svelte';
import { hubEndpoint, hubFolderUrl } from '../../src/store/hub';
import { MODELS, SAES } from '../../src/store/catalog';
import { sha256FromHeaders } from '../../src/store/download';

describe('Hub endpoint and catalog', () => {
  it('takes ?hub= over the default, and builds resolve URLs', () => {
    expect(hubEndpoint('?hub=http://127.0.0.1:9000/')).toBe('http://127.0.0.1:9000');
    expect(hubEndpoint('')).toBe('https://huggingface.co');
    expect(hubFolderUrl('https://huggingface.co', 'jbloom/GPT2-Small-SAEs-Reformatted', 'blocks.6.hook_resid_pre')).toBe(
      'https://huggingface.co/jbloom/GPT2-Small-SAEs-Reformatted/resolve/main/blocks.6.hook_resid_pre/',
    );
  });

  it('lists GPT-2 small, res-jb for every layer (centred) and OpenAI TopK 32k, with sizes', () => {
    expect(MODELS[0].repo).toBe('openai-community/gpt2');
    const jb = SAES.filter((s) => s.id.startsWith('gpt2-small-res-jb/'));
    expect(jb.map((s) => s.hookName)).toEqual(Array.from({ length: 12 }, (_, l) => `blocks.${l}.hook_resid_pre`));
    expect(jb.every((s) => s.overrides?.centerWritingWeights === true)).toBe(true);
    expect(SAES.filter((s) => s.id.includes('v5-32k')).every((s) => s.dSae === 32768 && s.hookName.endsWith('hook_resid_post'))).toBe(true);
    expect(SAES.every((s) => s.files.every((f) => f.bytes > 0))).toBe(true);
  });

  it('reads the sha256 the Hub vouches for from X-Linked-ETag or ETag', () => {
    const sha = 'a'.repeat(64);
    expect(sha256FromHeaders(new Headers({ 'x-linked-etag': `"${sha}"` }))).toBe(sha);
    expect(sha256FromHeaders(new Headers({ etag: `W/"${sha}"` }))).toBe(sha);
    expect(sha256FromHeaders(new Headers({ etag: '"abc123"' }))).toBeNull();
  });
});

describe('feature labels without feature data', () => {
  it('labels features by the tokens they fired on this session, and keeps their max activation', () => {
    const c = new FeatureCatalog();
    c.observe([' ship', ' sea', ' ship'], 2, Uint32Array.from([5, 7, 5, 0xffffffff, 7, 5]), Float32Array.from([3, 1, 2, 0, 4, 1]));
    expect(c.label(5)).toBe('fires on “ship”, “sea”');
    expect(c.get(7)!.maxAct).toBe(4);
    expect(c.maxActs(8)[5]).toBe(3);
    expect(c.label(9)).toBe('feature 9');
    expect(c.search('sea').map((s) => s.id)).toEqual([5]);
  });

  it('shows imported labels (src/store/labels.ts parses the exports), merged with earlier ones', () => {
    const c = new FeatureCatalog();
    expect(c.addLabels(new Map([[12, 'the Golden Gate Bridge']]))).toBe(1);
    expect(c.label(12)).toBe('the Golden Gate Bridge');
    expect(c.addLabels(new Map([[3, 'French words']]))).toBe(2);
    expect(c.search('golden').map((s) => s.id)).toEqual([12]);
    // words, not substrings: "ate" is inside "Gate" but starts no word; a prefix of a word matches
    c.addLabels(new Map([[4, 'state capitals'], [5, 'artists at work']]));
    expect(c.search('ate').map((s) => s.id)).toEqual([]);
    expect(c.search('art').map((s) => s.id)).toEqual([5]);
    expect(c.search('gold bri').map((s) => s.id)).toEqual([12]);
    expect(c.search('french').map((s) => s.id)).toEqual([3]);
    c.reset();
    expect(c.label(12)).toBe('feature 12');
  });
});
