// Seeded mutation fuzzing of every parser (tests/helpers/fuzz.ts). FUZZ_N inputs per parser
// (default 1,000); FUZZ_SEED moves the whole run; FUZZ_PARSER=a,b runs some parsers only;
// FUZZ_REPRO=parser:0xSEED replays one failing input; FUZZ_OUT=bench/fuzz.json writes the counts
// (npm run fuzz does 10,000 per parser and writes them).
import { allocProbe } from '../helpers/fuzz_alloc'; // first: it wraps the constructors fflate captures at load
import { mkdirSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { gunzipSync, gzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ALLOC_SLACK, fuzzTarget, makeInput, MAX_MS, runCase, type Stats } from '../helpers/fuzz';
import { TARGETS } from '../helpers/fuzz_targets';
import { startWatchdog, type Watchdog } from '../helpers/fuzz_watchdog';

const env = process.env;
const N = Number(env.FUZZ_N ?? 1000);
const BASE = Number(env.FUZZ_SEED ?? 0);
const only = env.FUZZ_PARSER?.split(',');
const targets = TARGETS.filter((t) => !only || only.includes(t.name));
const stats: Stats[] = [];
let watchdog: Watchdog;
let started = 0;

describe('fuzz: the harness', () => {
  it('measures allocations made inside libraries (fflate)', () => {
    expect(allocProbe.installed).toBe(true);
    const gz = gzipSync(new Uint8Array(1 << 20));
    allocProbe.arm(Infinity);
    gunzipSync(gz);
    expect(allocProbe.disarm()).toBeGreaterThanOrEqual(1 << 20);
  });

  it('makes the same input from the same case seed, at any time (zip and gzip headers hold one)', () => {
    for (const t of TARGETS) {
      for (const seed of [12345, 777, 4242]) {
        const a = makeInput(t, seed);
        vi.useFakeTimers({ now: new Date(2031, 5, 6, 7, 8, 9), toFake: ['Date'] });
        const b = makeInput(t, seed);
        vi.useRealTimers();
        expect(b).toEqual(a);
      }
    }
  });
});

// FUZZ_REPRO=parser:0xSEED replays one input instead of the run (registered only then, never skipped)
if (env.FUZZ_REPRO) describe('fuzz: replay one input', () => {
  it(`replays ${env.FUZZ_REPRO}`, async () => {
    const [name, seed] = env.FUZZ_REPRO!.split(':');
    const t = TARGETS.find((x) => x.name === name)!;
    const files = makeInput(t, Number(seed));
    // written synchronously: a hang kills the process before console.log's output would arrive
    for (const [f, b] of Object.entries(files)) writeSync(2, `${f} (${b.length} bytes): ${JSON.stringify(new TextDecoder().decode(b.subarray(0, 2000)))}\n`);
    const dog = startWatchdog([name], 10_000);
    dog.beat(0, Number(seed));
    const r = await runCase(t, Number(seed));
    await dog.stop();
    console.log(r);
    expect(r.outcome).not.toBe('failure');
  });
});

else describe(`fuzz: ${N} inputs per parser`, () => {
  beforeAll(() => {
    watchdog = startWatchdog(targets.map((t) => t.name), 10_000, env.FUZZ_OUT);
    started = performance.now();
  });

  afterAll(async () => {
    await watchdog.stop();
    const seconds = (performance.now() - started) / 1000;
    console.log(`fuzz: ${N} inputs x ${stats.length} parsers in ${seconds.toFixed(1)} s`);
    if (!env.FUZZ_OUT) return;
    mkdirSync(dirname(env.FUZZ_OUT), { recursive: true });
    const factor = (name: string) => TARGETS.find((t) => t.name === name)!.allocFactor;
    const parsers = Object.fromEntries(stats.map(({ parser, ...s }) => [parser, { ...s, allocBound: `${factor(parser)} x input + ${ALLOC_SLACK}` }]));
    const total = { inputs: 0, valid: 0, typedErrors: 0, failures: 0 };
    for (const s of stats) {
      total.inputs += s.inputs;
      total.valid += s.valid;
      total.typedErrors += Object.values(s.typedErrors).reduce((a, b) => a + b, 0);
      total.failures += s.failures;
    }
    const limits = {
      msPerInput: MAX_MS,
      largestAllocation: 'allocFactor x input bytes + 256 KiB (1 text, 2 f16/bf16 widened to f32, 1032 gzip, 2064 npz)',
      hang: 'a watchdog thread kills the run after 10 s on one input',
    };
    const out = { generated: new Date().toISOString(), node: process.version, perParser: N, seed: BASE, seconds: Math.round(seconds), limits, total, parsers };
    writeFileSync(env.FUZZ_OUT, JSON.stringify(out, null, 2) + '\n');
  });

  targets.forEach((t, index) => {
    it(t.name, { timeout: 60_000 + N * 40 }, async () => {
      const s = await fuzzTarget(t, { n: N, base: BASE, before: (seed) => watchdog.beat(index, seed), after: () => watchdog.idle() });
      stats.push(s);
      if (s.samples.length) console.log(`${t.name}:\n  ${s.samples.join('\n  ')}`);
      expect(s.failures, s.samples.join('\n')).toBe(0);
    });
  });
});
