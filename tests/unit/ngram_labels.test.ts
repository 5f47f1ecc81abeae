// N-gram labels (src/store/ngram_labels.ts) on hand-made examples, where the right answer is
// known, and on the bundled feature data, where a topic or language word must find its features.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dedupeExamples, exampleNgrams, groupByPeak, labelPrefix, ngramLabels, type Example, type FeatureExamples } from '../../src/store/ngram_labels';

// token ids index this vocabulary; a leading space is part of a token, as in GPT-2's
const vocab = ['<|endoftext|>', ' the', ' whale', ' sang', ' to', ' ship', ' sailed', '.', ' Les', ' vagues', ' sont', ' a', ' cat', ' sat', ',', 'l'];
const T = Object.fromEntries(vocab.map((t, i) => [t.trim() || t, i]));
/** An example from words, firing `act` on the word at `at` (and `side` on the one after it). */
function ex(words: string[], at: number, act: number, side = 0): Example {
  const acts = words.map((_, i) => (i === at ? act : i === at + 1 ? side : 0));
  return { tokens: words.map((w) => T[w]), acts, max_at: at };
}

describe('n-gram labels', () => {
  it('dedupes examples by token sequence, keeping the strongest copy, strongest first', () => {
    const a = ex(['the', 'whale', 'sang'], 1, 2);
    const a2 = ex(['the', 'whale', 'sang'], 1, 5);
    const b = ex(['the', 'ship', 'sailed'], 1, 3);
    const got = dedupeExamples([a, b, a2, a]);
    expect(got).toEqual([a2, b]);
  });

  it('groups examples sharing the words around their peak under the strongest, with a count', () => {
    const a = ex(['a', 'cat', 'the', 'ship', 'the', 'whale', 'sang', 'to', 'the'], 5, 2);
    const b = ex(['the', 'ship', 'the', 'ship', 'the', 'whale', 'sang', 'to', 'the'], 5, 3); // another opening, same words around the peak
    const c = ex(['the', 'ship', 'the', 'ship', 'the', 'whale', 'sang', 'to', 'a'], 5, 1); // differs 3 tokens after it
    expect(groupByPeak([a, b, c])).toEqual([{ example: b, count: 2 }, { example: c, count: 1 }]);
    expect(groupByPeak([a, b, c], 0, 0)).toEqual([{ example: b, count: 3 }]);
    expect(groupByPeak([a, b, c], 4, 0)).toEqual([{ example: b, count: 2 }, { example: a, count: 1 }]); // a differs 4 before
  });

  it('counts each n-gram once per example, weighted by activation, and skips punctuation, <|endoftext|> and lone letters', () => {
    const g = exampleNgrams([ex(['the', 'whale', 'sang', '.'], 1, 4), ex(['<|endoftext|>', 'whale', 'sang', 'l'], 1, 2)], vocab);
    expect(g.get('whale')!.weight).toBeCloseTo(1 + 0.5); // fires: full weight, relative to the feature's peak 4
    expect(g.get('the whale sang')!.weight).toBeCloseTo(1);
    expect(g.get('whale sang')!.weight).toBeCloseTo(1.5);
    expect(g.get('sang')!.weight).toBeCloseTo(0.5 + 0.25); // does not fire: half weight
    expect([...g.keys()].some((k) => k.includes('.') || k.includes('<|') || k === 'l')).toBe(false);
  });

  it('prefers the n-grams of a feature that other features do not have, and joins overlapping ones', () => {
    // feature 0 fires on "whale" after "the"; every feature has "the" around
    const whale: FeatureExamples = { contexts: [ex(['the', 'whale', 'sang', 'to'], 1, 3), ex(['a', 'whale', 'sang', '.'], 1, 2.5), ex(['the', 'whale', 'sang', 'the'], 1, 2), ex(['to', 'the', 'whale', 'sang'], 2, 2)] };
    const other = (w: string[]): FeatureExamples => ({ contexts: [ex(w, 1, 1), ex([...w].reverse(), 1, 1)] });
    const fs = [whale, other(['the', 'ship', 'sailed']), other(['the', 'cat', 'sat']), other(['the', 'ship', 'to']), other(['a', 'cat', 'to'])];
    const labels = ngramLabels(fs, vocab);
    const phrases = labels[0].split(', ');
    // "whale sang" ranks first; "the whale", overlapping it, joins it as the examples say "the whale sang"
    expect(phrases[0]).toBe('the whale sang');
    // nested n-grams are not repeated ("whale" inside "whale sang"), and "the" alone says nothing
    expect(phrases).not.toContain('whale');
    expect(phrases).not.toContain('the');
    expect(new Set(phrases).size).toBe(phrases.length);
    expect(ngramLabels([{ contexts: [] }, ...fs], vocab)[0]).toBe('');
  });

  it('names a dominant topic and a language well above its average share', () => {
    const mean = { en: 0.9, fr: 0.06 };
    expect(labelPrefix({ contexts: [], topics: [['ocean', 0.7]], langs: { en: 0.3, fr: 0.7 } }, mean)).toBe('ocean · French: ');
    expect(labelPrefix({ contexts: [], topics: [['ocean', 0.5]], langs: { en: 0.95, fr: 0.05 } }, mean)).toBe(''); // English is the norm here
  });

  it('on the bundled data: every live feature gets a label, "French" finds French features and #597 shows its sentence once', () => {
    const dir = 'public/models/glassbox-mini/features';
    const index = JSON.parse(readFileSync(`${dir}/index.json`, 'utf8'));
    const tokens: string[] = JSON.parse(readFileSync(`${dir}/tokens.json`, 'utf8'));
    const shard = JSON.parse(readFileSync(`${dir}/009.json`, 'utf8'));
    const f597 = shard.features[597 - shard.first];
    expect(f597.contexts.length).toBe(20);
    const distinct = dedupeExamples(f597.contexts);
    expect(new Set(distinct.map((c) => c.tokens.join())).size).toBe(distinct.length);
    expect(distinct.length).toBeLessThan(20);
    // the bundled index carries what tools/ngram_labels.mjs computes from the shards
    const col = index.columns.indexOf('ngram_label');
    expect(col).toBeGreaterThan(2);
    const french = index.features.map((r: unknown[], id: number) => [id, r[col]] as const).filter(([, l]: readonly [number, string]) => /\bFrench\b/.test(l));
    expect(french.length).toBeGreaterThan(5);
    const shards = new Map<number, { features: FeatureExamples[]; first: number }>();
    for (const [id] of french.slice(0, 5)) {
      const s = Math.floor(id / index.shard_size);
      if (!shards.has(s)) shards.set(s, JSON.parse(readFileSync(`${dir}/${String(s).padStart(3, '0')}.json`, 'utf8')));
      expect(shards.get(s)!.features[id - shards.get(s)!.first].langs!.fr).toBeGreaterThanOrEqual(0.6);
    }
    const live = index.features.filter((r: unknown[]) => r[0] !== '(dead)');
    expect(live.filter((r: unknown[]) => r[col]).length / live.length).toBeGreaterThan(0.95);
    // recomputing shard 9's features alone gives labels of the same shape (idf over fewer features)
    const local = ngramLabels(shard.features, tokens);
    expect(local[597 - shard.first]).toMatch(/French/);
  });
});
