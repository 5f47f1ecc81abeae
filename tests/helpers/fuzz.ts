// A seeded mutation fuzzer for every parser (targets in fuzz_targets.ts). Each input is made from
// one case seed alone (mulberry32, src/model/rng.ts): a seed file, one structure-aware mutation
// and/or up to three byte-level ones. The contract checked on every input: the parser returns a
// result that passes the target's check, or throws one of src/errors.ts's classes (a GlassboxError
// whose name is its class's); within MAX_MS (the fastest of three tries, if the first is over);
// allocating no buffer larger than allocFactor * input bytes + ALLOC_SLACK (measured by
// fuzz_alloc.ts, which must be imported before this module); and returning a result of at most
// NODE_FACTOR * input bytes + NODE_SLACK objects. Vitest (tests/unit/fuzz.test.ts, `npm run fuzz`)
// drives it; it imports nothing from vitest.
import { allocProbe, AllocationRefused } from './fuzz_alloc'; // first: it wraps the constructors other modules capture
import { GlassboxError } from '../../src/errors';
import { Rng } from '../../src/model/rng';
import { fieldsOf, mutateBytes, mutateStructured, type SeedFile } from './fuzz_mutate';
import { gunzipSync, unzipSync } from 'fflate';
import type { Files } from './fuzz_seeds';
import type { Target } from './fuzz_targets';

export const MAX_MS = 1000;
export const ALLOC_SLACK = 256 * 1024;
const NODE_FACTOR = 2;
const NODE_SLACK = 20_000;

export interface Stats {
  parser: string;
  inputs: number;
  valid: number;
  typedErrors: Record<string, number>;
  maxMs: number;
  /** The case seed of the slowest input, for FUZZ_REPRO. */
  maxMsSeed: string;
  maxAllocBytes: number;
  maxAllocRatio: number;
  /** The case seed of the input with the largest allocation ratio. */
  maxAllocSeed: string;
  failures: number;
  /** The first few failures, each with its case seed. */
  samples: string[];
}

const hash = (s: string) => [...s].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0, 0x811c9dc5);

/** The case seed of input i of a run (the target's name salts it, so targets differ). */
export const caseSeed = (target: string, base: number, i: number) => (hash(target) ^ Math.imul(base + i + 1, 0x9e3779b1)) >>> 0;

interface Prepared {
  seeds: Files[];
  parsed: Array<Record<string, SeedFile>>;
}
const prepared = new Map<string, Prepared>();

function prepare(t: Target): Prepared {
  let p = prepared.get(t.name);
  if (p) return p;
  const seeds = t.seeds();
  const parsed = seeds.map((files) =>
    Object.fromEntries(
      Object.entries(files).map(([name, bytes]) => {
        const sf: SeedFile = { kind: t.files[name], bytes };
        if (sf.kind === 'npz') sf.entries = unzipSync(bytes);
        if (sf.kind === 'labels') {
          sf.gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
          sf.text = new TextDecoder().decode(sf.gzipped ? gunzipSync(bytes) : bytes);
        }
        return [name, sf];
      }),
    ),
  );
  p = { seeds, parsed };
  prepared.set(t.name, p);
  return p;
}

/** The input of one case: deterministic in (target, case seed). */
export function makeInput(t: Target, seed: number): Files {
  const { seeds, parsed } = prepare(t);
  const rng = new Rng(seed);
  const k = rng.int(seeds.length);
  const files = { ...seeds[k] };
  const names = Object.keys(files);
  const name = names[rng.int(names.length)];
  const sf = parsed[k][name];
  let b = files[name];
  const structured = sf.kind !== 'text' && rng.next() < 0.65;
  if (structured) b = mutateStructured(rng, sf, b, t.vocab);
  for (let n = structured ? rng.int(3) - 1 : 1 + rng.int(3); n > 0; n--) {
    const donor = seeds[rng.int(seeds.length)][name] ?? b;
    b = mutateBytes(rng, b, donor, fieldsOf(sf.kind, b));
  }
  files[name] = b;
  return files;
}

/** Objects reachable from a result (arrays, plain objects, Maps, Sets), counted up to `limit`. */
function countNodes(root: unknown, limit: number): number {
  const seen = new Set<unknown>();
  const stack = [root];
  while (stack.length && seen.size <= limit) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || seen.has(v) || ArrayBuffer.isView(v)) continue;
    seen.add(v);
    if (Array.isArray(v) || v instanceof Set) for (const x of v) stack.push(x);
    else if (v instanceof Map) for (const [a, b] of v) stack.push(a, b);
    else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) stack.push(x);
  }
  return seen.size;
}

export interface CaseResult {
  outcome: 'valid' | 'typed' | 'failure';
  errorClass?: string;
  ms: number;
  allocBytes: number;
  inputBytes: number;
  failure?: string;
}

/** One timed, measured call of the parser, on fresh copies of the files (made before measuring). */
async function attempt(t: Target, input: Files, bound: number) {
  const files = Object.fromEntries(Object.entries(input).map(([k, b]) => [k, b.slice()]));
  let result: unknown;
  let error: unknown;
  allocProbe.arm(bound);
  const t0 = performance.now();
  try {
    result = await t.run(files);
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - t0;
  return { result, error, ms, allocBytes: allocProbe.disarm() };
}

export async function runCase(t: Target, seed: number): Promise<CaseResult> {
  const files = makeInput(t, seed);
  const inputBytes = Object.values(files).reduce((s, b) => s + b.length, 0);
  const bound = t.allocFactor * inputBytes + ALLOC_SLACK;
  const first = await attempt(t, files, bound);
  const { result, error, allocBytes } = first;
  let { ms } = first;
  // Over the limit: time it twice more and keep the fastest, so a GC pause or a busy machine (the
  // test runs beside other work) is not reported as a slow parser; a slow parser stays slow.
  for (let k = 0; k < 2 && ms > MAX_MS; k++) ms = Math.min(ms, (await attempt(t, files, bound)).ms);
  const out: CaseResult = { outcome: 'valid', ms, allocBytes, inputBytes };
  const fail = (why: string) => {
    Object.assign(out, { outcome: 'failure', failure: `[${t.name}] case seed 0x${seed.toString(16)}: ${why}` });
  };
  if (error === undefined) {
    try {
      t.check(result, files);
      const nodes = countNodes(result, NODE_FACTOR * inputBytes + NODE_SLACK);
      if (nodes > NODE_FACTOR * inputBytes + NODE_SLACK) fail(`the result holds over ${nodes} objects for a ${inputBytes}-byte input`);
    } catch (e) {
      fail(`accepted the input, but ${(e as Error).message}`);
    }
  } else if (error instanceof GlassboxError && error.name === error.constructor.name) {
    out.outcome = 'typed';
    out.errorClass = error.name;
  } else {
    const e = error as Error;
    const what = error instanceof AllocationRefused ? 'allocation refused' : `threw ${e?.constructor?.name ?? typeof e} (not a typed error)`;
    fail(`${what}: ${String(e?.message ?? e).slice(0, 300)}`);
  }
  if (allocBytes > bound && out.outcome !== 'failure') fail(`allocated ${allocBytes} bytes at once for a ${inputBytes}-byte input (bound ${t.allocFactor}x + ${ALLOC_SLACK})`);
  if (ms > MAX_MS && out.outcome !== 'failure') fail(`took ${ms.toFixed(0)} ms (limit ${MAX_MS})`);
  return out;
}

export interface RunOptions {
  n: number;
  base?: number;
  /** Called before each input (the watchdog's heartbeat) and after it. */
  before?: (seed: number) => void;
  after?: () => void;
  maxSamples?: number;
}

export async function fuzzTarget(t: Target, o: RunOptions): Promise<Stats> {
  const s: Stats = { parser: t.name, inputs: 0, valid: 0, typedErrors: {}, maxMs: 0, maxMsSeed: '', maxAllocBytes: 0, maxAllocRatio: 0, maxAllocSeed: '', failures: 0, samples: [] };
  for (let i = 0; i < o.n; i++) {
    const seed = caseSeed(t.name, o.base ?? 0, i);
    o.before?.(seed);
    const r = await runCase(t, seed);
    o.after?.();
    s.inputs++;
    const hex = `0x${seed.toString(16)}`;
    if (r.ms > s.maxMs) [s.maxMs, s.maxMsSeed] = [r.ms, hex];
    s.maxAllocBytes = Math.max(s.maxAllocBytes, r.allocBytes);
    const ratio = r.allocBytes / Math.max(1, r.inputBytes);
    if (ratio > s.maxAllocRatio) [s.maxAllocRatio, s.maxAllocSeed] = [ratio, hex];
    if (r.outcome === 'valid') s.valid++;
    else if (r.outcome === 'typed') s.typedErrors[r.errorClass!] = (s.typedErrors[r.errorClass!] ?? 0) + 1;
    else s.failures++;
    if (r.failure && s.samples.length < (o.maxSamples ?? 10)) s.samples.push(r.failure);
  }
  s.maxMs = Math.round(s.maxMs * 10) / 10;
  s.maxAllocRatio = Math.round(s.maxAllocRatio * 1000) / 1000;
  return s;
}
