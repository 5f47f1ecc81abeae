import { describe, expect, it } from 'vitest';
import { DEFAULTS, parseSteering, readUrl, writeUrl } from '../../src/ui/state/url';

describe('URL state', () => {
  it('round-trips every field', () => {
    const s = {
      prompt: 'Le bateau & the "ocean" — 🌊?',
      model: 'glassbox-mini',
      sae: 'blocks.2.hook_resid_pre',
      steering: [{ feature: 12, mode: 'clamp' as const, multiple: 10 }, { feature: 4095, mode: 'add' as const, multiple: -3.5 }],
      sampling: { temperature: 0.7, topK: 0, topP: 0.9 },
      seed: 7,
      maxNewTokens: 64,
      hub: 'http://127.0.0.1:8080/mirror',
      system: 'You are a bridge. "Be" & brief.',
    };
    expect(readUrl(writeUrl(s))).toEqual(s);
  });

  it('falls back to defaults on missing or bad values', () => {
    expect(readUrl('')).toEqual(DEFAULTS);
    expect(readUrl('?temp=-1&topk=2.5&topp=3&seed=x&n=0').sampling).toEqual(DEFAULTS.sampling);
    expect(parseSteering('1c2,bad,3a-1')).toEqual([{ feature: 1, mode: 'clamp', multiple: 2 }, { feature: 3, mode: 'add', multiple: -1 }]);
  });
});
