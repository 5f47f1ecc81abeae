// Neuronpedia features/activations exports: built dashboards export to both files and import back
// to the same statistics and examples; real-shaped rows (full 128-token contexts, interval bins)
// import as windows around the max token; malformed files are ModelFileErrors naming file and line.
import { describe, expect, it } from 'vitest';
import { gzipSync } from 'fflate';
import { ModelFileError } from '../../src/errors';
import { exportActivations, exportFeatures, importNeuronpedia } from '../../src/dashboards/neuronpedia';
import { AFTER, BEFORE, type BuiltDashboards, type BuiltDetail } from '../../src/dashboards/types';

const enc = (s: string) => new TextEncoder().encode(s);
const META = { model: 'glassbox-mini', sae: 'blocks.2.hook_resid_pre', hookName: 'blocks.2.hook_resid_pre', dSae: 4 };

function built(): BuiltDashboards {
  const tokens = ['The', ' ship', ' sailed', ' ocean', '\n'];
  const detail = (id: number, dead = false): BuiltDetail => ({
    id, label: dead ? '(dead)' : `ship ${id}`, labelKind: 'tokens', max_act: dead ? 0 : 2.5 + id, density: dead ? 0 : 0.01 * (id + 1),
    histogram: dead ? { min: 0, max: 0, counts: [] } : { min: 0, max: 4, counts: [5, 3, 0, 1] }, topics: [], langs: {},
    contexts: dead ? [] : [
      { tokens: [0, 1, 2], acts: [0, 2.5 + id, 1], max_at: 1, topic: null },
      { tokens: [3, 4], acts: [0.5, 0], max_at: 0, topic: null },
    ],
    intervals: dead ? [] : [{ lo: 0.5, hi: 1, seen: 3, contexts: [{ tokens: [2, 3], acts: [0.75, 0.1], max_at: 0, topic: null }] }],
    promoted: [], suppressed: [], neighbours: [],
  });
  const details = [detail(0), detail(1, true), detail(2), detail(3)];
  return {
    meta: { source: 'built', model: META.model, sae: META.sae, corpus: 'corpus.jsonl', corpusHash: 'abc', ctxLen: 64, nTokens: 6400, hookName: META.hookName, builtAt: '' },
    summaries: details.map((d) => ({ id: d.id, label: d.label, labelKind: d.labelKind, maxAct: d.max_act, density: d.density })),
    details, tokens,
  };
}

const text = (b: BuiltDashboards, d: BuiltDetail) => d.contexts.map((c) => ({ tokens: c.tokens.map((t) => b.tokens[t]), acts: c.acts, max_at: c.max_at }));

describe('Neuronpedia export and import', () => {
  it('round trip: max activation, density, histogram, top contexts and interval samples come back', () => {
    const b = built();
    const features = exportFeatures(b);
    const activations = exportActivations(b);
    expect(features.trim().split('\n')).toHaveLength(4);
    const row = JSON.parse(activations.split('\n')[0]);
    expect(row).toMatchObject({ modelId: 'glassbox-mini', layer: '2-blocks.2.hook_resid_pre', index: '0', tokens: ['The', ' ship', ' sailed'], maxValueTokenIndex: 1, maxValue: 2.5 });
    const back = importNeuronpedia([{ name: 'features.jsonl', bytes: enc(features) }, { name: 'activations.jsonl.gz', bytes: gzipSync(enc(activations)) }], META);
    expect(back.meta.source).toBe('neuronpedia');
    expect(back.details).toHaveLength(4);
    for (const [i, d] of b.details.entries()) {
      const g = back.details[i];
      expect(g.max_act).toBe(d.max_act);
      expect(g.density).toBe(d.density);
      expect(g.histogram.counts).toEqual(d.histogram.counts);
      if (d.histogram.counts.length) expect(g.histogram.max).toBeCloseTo(d.histogram.max, 10);
      expect(text(back, g)).toEqual(text(b, d));
      expect(g.intervals.map((q) => [q.lo, q.hi, q.contexts.length])).toEqual(d.intervals.map((q) => [q.lo, q.hi, q.contexts.length]));
      expect(g.label).toBe(d.label);
    }
    expect(back.summaries[2]).toMatchObject({ id: 2, maxAct: 4.5, density: 0.03 });
  });

  it('a full-context activation row becomes a window around its max token', () => {
    const tokens = Array.from({ length: 128 }, (_, i) => `t${i}`);
    const values = tokens.map((_, i) => (i === 40 ? 9 : i % 7 === 0 ? 1 : 0));
    const line = JSON.stringify({ modelId: 'gpt2-small', layer: '6-res-jb', index: '3', tokens, values, maxValue: 9, maxValueTokenIndex: 40, minValue: 0 });
    const b = importNeuronpedia([{ name: 'activations/batch-0.jsonl', bytes: enc(line) }], META);
    const c = b.details[3].contexts[0];
    expect(c.tokens.map((t) => b.tokens[t])).toEqual(tokens.slice(40 - BEFORE, 40 + AFTER + 1));
    expect(c.acts[c.max_at]).toBe(9);
    expect(b.details[3].max_act).toBe(9);
    expect(b.details[3].density).toBeNaN(); // no features file: unknown
    expect(b.details[0].label).toBe('feature 0');
  });

  const bad: Array<[string, string, RegExp]> = [
    ['garbage.jsonl', 'this is not json', /line 1 is not a JSON object/],
    ['idx.jsonl', '{"index": "x1", "tokens": ["a"], "values": [1]}', /line 1: "index" is "x1"/],
    ['len.jsonl', '{"index": 1, "tokens": ["a", "b"], "values": [1]}', /line 1: an activation needs/],
    ['far.jsonl', '{"index": 99, "maxActApprox": 1}', /feature 99 does not exist/],
    ['other.jsonl', '{"index": 1}\n', /line 1 is neither a feature/],
    ['empty.jsonl', '  \n', /is empty/],
  ];
  for (const [name, body, what] of bad) {
    it(`refuses ${name} with a ModelFileError naming it`, () => {
      let e: unknown;
      try {
        importNeuronpedia([{ name, bytes: enc(body) }], META);
      } catch (x) {
        e = x;
      }
      expect(e).toBeInstanceOf(ModelFileError);
      expect((e as ModelFileError).file).toBe(name);
      expect((e as Error).message).toMatch(what);
    });
  }
  it('refuses a corrupt gzip', () => {
    const gz = gzipSync(enc('{"index": 1, "maxActApprox": 2}\n'));
    // cut short: the trailer's size no longer matches what inflates
    expect(() => importNeuronpedia([{ name: 'f.jsonl.gz', bytes: gz.subarray(0, gz.length - 6) }], META)).toThrow(/f\.jsonl\.gz.*does not decompress/);
  });
});
