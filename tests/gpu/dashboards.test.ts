// Dashboards built in the browser for the bundled model and SAE, from the bundled corpus, against a
// plain CPU computation from the full activations f (T, S) of every context (read back with
// featureActivations): density, histogram and max activation of every feature, and the top
// contexts' values; interval samples lie in their intervals; a cancelled run resumed (its windows
// gathered in batches) ends exactly as an uninterrupted one; a Hub dataset file is cached in OPFS.
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { Engine } from '../../src/worker/engine';
import { TextTokenizer } from '../../src/model/tokenizer';
import { cutContexts, parseCorpus, readCorpus, type Contexts } from '../../src/dashboards/corpus';
import { tokenizeFor, type BuildDashboardsRequest } from '../../src/dashboards/run';
import { FEATURE_STATS_BINS as NB } from '../../src/kernels/feature_stats';
import { BEFORE, AFTER } from '../../src/dashboards/collect';
import type { BuiltDashboards } from '../../src/dashboards/types';

const MODEL = '/models/glassbox-mini/';
const SAE = `${MODEL}sae/blocks.2.hook_resid_pre/`;
const CORPUS = `${MODEL}corpus.jsonl`;
const L = 32;
const NCTX = 10;
const req = (extra: Partial<BuildDashboardsRequest> = {}): BuildDashboardsRequest => ({
  corpus: { kind: 'url', url: CORPUS, name: 'corpus.jsonl' }, ctxLen: L, nTokens: L * NCTX, nExamples: 5, model: 'glassbox-mini', sae: 'test-sae', restart: true, ...extra,
});

let engine: Engine;
let ctx: Contexts;
let S: number;
/** f (NCTX * L, S): every feature's activation at every token, context after context. */
let f: Float32Array;
let piece: (id: number) => string;

beforeAll(async () => {
  engine = new Engine();
  await engine.load({ kind: 'url', baseUrl: MODEL }, undefined, { kind: 'url', baseUrl: SAE, topK: 32 });
  S = (await engine.info())!.sae!.config.dSae;
  const text = async (u: string) => (await fetch(u)).text();
  const tok = TextTokenizer.fromJson(await text(`${MODEL}tokenizer.json`), await text(`${MODEL}tokenizer_config.json`));
  piece = (id) => tok.pieces([id])[0];
  const docs = await parseCorpus(new Uint8Array(await (await fetch(CORPUS)).arrayBuffer()), 'corpus.jsonl');
  ctx = cutContexts(docs, tokenizeFor(tok, [3897]), L, L * NCTX);
  expect(ctx.n).toBe(NCTX);
  f = new Float32Array(NCTX * L * S);
  const all = Array.from({ length: S }, (_, i) => i);
  for (let c = 0; c < NCTX; c++) {
    await engine.forward({ ids: Array.from(ctx.ids.subarray(c * L, (c + 1) * L)), logits: 'none' });
    f.set((await engine.featureActivations(all)).values, c * L * S);
  }
});

const octave = (v: number) => ((new Uint32Array(Float32Array.of(v).buffer)[0] >>> 23) & 0xff) - 127;
const r4 = (x: number) => (x === 0 ? 0 : Number(x.toPrecision(4)));

describe('dashboards built from a corpus', () => {
  let built: BuiltDashboards;
  it('density, histogram, max activation and top contexts match the full activations', async () => {
    const seen: number[] = [];
    const t0 = performance.now();
    const res = await engine.buildDashboards(req(), (p) => seen.push(p.tokensDone));
    console.log(`[glassbox] dashboards: ${res.tokensTotal} tokens at ${res.tokensPerSec.toFixed(0)} tokens/s (${((performance.now() - t0) / 1000).toFixed(1)} s with the corpus)`);
    expect(res.status).toBe('done');
    expect(res.tokensTotal).toBe(NCTX * L);
    expect(seen.at(-1)).toBe(NCTX * L);
    built = res.dashboards!;
    expect(built.details).toHaveLength(S);
    const T = NCTX * L;
    let live = 0;
    for (let s = 0; s < S; s++) {
      const d = built.details[s];
      const vals: number[] = [];
      for (let t = 0; t < T; t++) if (f[t * S + s] > 0) vals.push(f[t * S + s]);
      expect(d.density, `density of ${s}`).toBe(vals.length / T);
      expect(built.summaries[s]).toMatchObject({ id: s, density: d.density, maxAct: d.max_act });
      if (!vals.length) {
        expect(d.label).toBe('(not seen in the corpus)');
        expect(d.contexts).toHaveLength(0);
        continue;
      }
      live++;
      const max = Math.max(...vals);
      expect(d.max_act, `max of ${s}`).toBe(max);
      // the histogram: NB bins over [0, 2^e), e the first power of two above max, cut after the last non-empty bin
      const e = octave(max) + 1;
      const bins = new Array<number>(NB).fill(0);
      for (const v of vals) bins[Math.min(NB - 1, Math.floor((v * NB) / 2 ** e))]++;
      let last = NB - 1;
      while (!bins[last]) last--;
      expect(d.histogram.counts, `histogram of ${s}`).toEqual(bins.slice(0, last + 1));
      expect(d.histogram.max).toBe(((last + 1) * 2 ** e) / NB);
      // top contexts: each context's largest value, strongest first (a TopK SAE with k <= K: every firing is seen)
      const best = Array.from({ length: NCTX }, (_, c) => {
        let at = 0;
        for (let t = 1; t < L; t++) if (f[(c * L + t) * S + s] > f[(c * L + at) * S + s]) at = t;
        return { c, at, v: f[(c * L + at) * S + s] };
      }).filter((b) => b.v > 0).sort((a, b) => b.v - a.v || a.c - b.c).slice(0, 5);
      expect(d.contexts.map((x) => x.acts[x.max_at]), `top values of ${s}`).toEqual(best.map((b) => r4(b.v)));
      const top = best[0];
      const t0w = Math.max(0, top.at - BEFORE);
      const t1w = Math.min(L - 1, top.at + AFTER);
      const want = Array.from({ length: t1w - t0w + 1 }, (_, i) => r4(f[(top.c * L + t0w + i) * S + s]));
      expect(d.contexts[0].acts, `top context values of ${s}`).toEqual(want);
      expect(d.contexts[0].tokens.map((i) => built.tokens[i])).toEqual(Array.from(ctx.ids.subarray(top.c * L + t0w, top.c * L + t1w + 1), piece));
      // interval samples: inside their intervals, and every firing counted once
      expect(d.intervals.reduce((a, q) => a + q.seen, 0)).toBe(vals.length);
      for (const q of d.intervals) {
        for (const x of q.contexts) {
          expect(x.acts[x.max_at]).toBeGreaterThanOrEqual(r4(q.lo));
          expect(x.acts[x.max_at]).toBeLessThanOrEqual(r4(q.hi));
        }
      }
    }
    expect(live).toBeGreaterThan(100);
  });

  it('a cancelled build resumes where it stopped and ends as the uninterrupted one', async () => {
    let cancelledAt = 0;
    const first = await engine.buildDashboards(req(), (p) => {
      if (p.stage === 'collect' && p.tokensDone >= 3 * L && !cancelledAt) {
        cancelledAt = p.tokensDone;
        void engine.cancel();
      }
    });
    expect(first.status).toBe('cancelled');
    expect(first.tokensDone).toBeGreaterThanOrEqual(3 * L);
    expect(first.tokensDone).toBeLessThan(NCTX * L);
    // resumed with the example windows gathered 100 features at a time instead of all at once
    const second = await engine.buildDashboards(req({ restart: false, gatherBytes: L * 4 * 100 }));
    expect(second.status).toBe('done');
    expect(second.contextsRun).toBe(NCTX - first.tokensDone / L);
    const strip = (b: BuiltDashboards) => ({ ...b, meta: { ...b.meta, builtAt: '' } });
    expect(strip(second.dashboards!)).toEqual(strip(built));
  });

  it('a Hub dataset file comes through the endpoint once, then from OPFS (a resume works offline)', async () => {
    const hub = inject('hubUrl');
    const file = `corpus-${Date.now()}.txt`;
    await fetch(`${hub}/__make/datasets/someone/corpus/${file}?size=5000`);
    const s = { kind: 'hub' as const, endpoint: hub, repo: 'someone/corpus', revision: 'main', file };
    const a = await readCorpus(s);
    expect(a.length).toBe(5000);
    // the next request for it would fail: the bytes must come from the cache
    await fetch(`${hub}/__arm-status/datasets/someone/corpus/${file}?code=503`);
    expect(await readCorpus(s)).toEqual(a);
  });
});
