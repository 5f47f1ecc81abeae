import { describe, expect, it } from 'vitest';
import { DEFAULTS, parseSteering, readUrl, writeUrl } from '../../src/ui/state/url';

describe('URL state', () => {
  it('round-trips every field', () => {
    const s = {
      prompt: 'Le bateau & the "ocean" — 🌊?',
      model: 'glassbox-mini',
      sae: 'blocks.2.hook_resid_pre',
      steering: [
        { feature: 12, mode: 'clamp' as const, strength: 10, unit: 'max_act' as const },
        { feature: 4095, mode: 'add' as const, strength: -3.5, unit: 'max_act' as const },
        { feature: 7, mode: 'orthogonal' as const, strength: 0.25, unit: 'max_act' as const },
        { feature: 9, mode: 'cap' as const, strength: 120, unit: 'absolute' as const },
        { feature: 3, mode: 'add' as const, strength: 0.0125, unit: 'absolute' as const },
      ],
      steerAt: { positions: 'generated' as const, skipBos: true },
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
    expect(parseSteering('1c2,bad,3a-1,4x1,5p7u')).toEqual([
      { feature: 1, mode: 'clamp', strength: 2, unit: 'max_act' },
      { feature: 3, mode: 'add', strength: -1, unit: 'max_act' },
      { feature: 5, mode: 'cap', strength: 7, unit: 'absolute' },
    ]);
    // links made before the modes and units keep working: c/a in multiples of max activation
    expect(readUrl('?steer=12c1.25,40a50').steering.map((s) => [s.mode, s.strength, s.unit])).toEqual([['clamp', 1.25, 'max_act'], ['add', 50, 'max_act']]);
    expect(readUrl('?spos=nonsense&nobos=yes').steerAt).toEqual({ positions: 'all', skipBos: false });
  });
});
