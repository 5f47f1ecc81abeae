// The prompt's live analysis (src/ui/state/analysis.svelte.ts) against a fake engine whose
// analyses return when the test says: no debounce, at most one analysis in flight, keystrokes typed
// meanwhile coalesced into one analysis of the newest text, stale answers dropped, run() re-asking
// even for the same text.
import { describe, expect, it, vi } from 'vitest';
import { AnalysisState } from '../../src/ui/state/analysis.svelte';
import type { EngineState } from '../../src/ui/state/engine.svelte';
import type { FeatureCatalog } from '../../src/ui/state/features.svelte';
import type { AnalyzeResponse } from '../../src/worker/api';

/** A fake engine: each analyze waits until the test resolves it; `sent` lists the texts asked. */
function setup() {
  const pending: Array<{ text: string; resolve: () => void; reject: (e: unknown) => void }> = [];
  const sent: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const response = (text: string): AnalyzeResponse => {
    const pieces = text.split(/(?= )/);
    const T = pieces.length;
    return { ids: pieces.map((_, i) => i), pieces, k: 1, topIdx: new Uint32Array(T), topVal: new Float32Array(T).fill(1), error: new Float32Array(2 * T) };
  };
  const engine = {
    analyze: ({ text }: { text: string }) => {
      sent.push(text);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      return new Promise<AnalyzeResponse>((resolve, reject) => {
        pending.push({
          text,
          resolve: () => (inFlight--, resolve(response(text))),
          reject: (e) => (inFlight--, reject(e)),
        });
      });
    },
    featureActivations: vi.fn(async (ids: number[]) => ({ features: ids, values: new Float32Array(3) })),
  };
  const fail = vi.fn();
  const es = { status: 'ready', sae: { config: { dSae: 10 } }, engine, fail } as unknown as EngineState;
  const catalog = { observe: vi.fn() } as unknown as FeatureCatalog;
  const a = new AnalysisState(es, catalog);
  /** Lets every settled promise run its continuations. */
  const flush = () => new Promise((r) => setTimeout(r, 0));
  return { a, pending, sent, fail, engine, flush, maxInFlight: () => maxInFlight };
}

const shown = (a: AnalysisState) => a.result?.pieces.join('') ?? null;

describe('live analysis of the prompt', () => {
  it('analyses the first keystroke at once, coalesces the ones typed meanwhile and never shows a stale answer', async () => {
    const { a, pending, sent, flush, maxInFlight } = setup();
    a.typed('T');
    expect(sent, 'no debounce: sent in the same turn').toEqual(['T']);
    a.typed('Th');
    a.typed('The');
    a.typed('The c');
    await flush();
    expect(sent, 'one in flight').toEqual(['T']);
    pending.shift()!.resolve();
    await flush();
    expect(shown(a), 'the answer for "T" is stale: dropped').toBe(null);
    expect(sent, 'then the newest text, the ones between never').toEqual(['T', 'The c']);
    a.typed('The ca');
    pending.shift()!.resolve();
    await flush();
    expect(shown(a)).toBe(null);
    expect(sent).toEqual(['T', 'The c', 'The ca']);
    pending.shift()!.resolve();
    await flush();
    expect(shown(a), 'the final text').toBe('The ca');
    expect(pending).toHaveLength(0);
    expect(maxInFlight()).toBe(1);
    // idle again: the next keystroke goes at once, and its answer is shown
    a.typed('The cat');
    expect(sent.at(-1)).toBe('The cat');
    pending.shift()!.resolve();
    await flush();
    expect(shown(a)).toBe('The cat');
    expect(a.lastLatencyMs).toBeGreaterThanOrEqual(0);
  });

  it('typing back to the text in flight shows its answer without asking again', async () => {
    const { a, pending, sent, flush } = setup();
    a.typed('ab');
    a.typed('abc');
    a.typed('ab'); // backspace
    pending.shift()!.resolve();
    await flush();
    expect(shown(a)).toBe('ab');
    expect(sent).toEqual(['ab']);
  });

  it('run() asks again for the same text, dropping the answer in flight (another SAE), and resolves once the newest is shown', async () => {
    const { a, pending, sent, flush } = setup();
    a.typed('one two');
    const done = a.run();
    let resolved = false;
    void done.then(() => (resolved = true));
    pending.shift()!.resolve();
    await flush();
    expect(shown(a), 'the answer in flight was asked before run()').toBe(null);
    expect(sent).toEqual(['one two', 'one two']);
    expect(resolved).toBe(false);
    pending.shift()!.resolve();
    await done;
    expect(shown(a)).toBe('one two');
  });

  it('an error of a stale analysis is not reported; the newest one is', async () => {
    const { a, pending, fail, flush } = setup();
    a.typed('x');
    a.typed('xy');
    pending.shift()!.reject(new Error('stale'));
    await flush();
    expect(fail).not.toHaveBeenCalled();
    pending.shift()!.reject(new Error('newest'));
    await flush();
    expect(fail).toHaveBeenCalledTimes(1);
    expect((fail.mock.calls[0][0] as Error).message).toBe('newest');
    // and the next keystroke is analysed again
    a.typed('xyz');
    pending.shift()!.resolve();
    await flush();
    expect(shown(a)).toBe('xyz');
  });

  it("the selected feature's values are fetched for each strip shown, none for a dropped answer", async () => {
    const { a, pending, engine, flush } = setup();
    a.selectedFeature = 3;
    a.typed('a b');
    pending.shift()!.resolve();
    await flush();
    expect(engine.featureActivations).toHaveBeenCalledTimes(1);
    a.typed('a b c');
    a.typed('a b c d');
    pending.shift()!.resolve(); // 'a b c': stale, no strip, no values
    await flush();
    expect(engine.featureActivations).toHaveBeenCalledTimes(1);
    pending.shift()!.resolve();
    await flush();
    expect(shown(a)).toBe('a b c d');
    expect(engine.featureActivations).toHaveBeenCalledTimes(2);
    expect(a.featureValues).not.toBe(null);
  });
});
