// A hang detector for the fuzzer. A parser stuck in a synchronous loop blocks the event loop, so
// no timer on the main thread can report it. This worker thread watches a heartbeat in shared
// memory instead; when one input runs longer than hangMs it writes the parser and case seed to
// stderr (and to `reportFile`, when given) and kills the process, so the run fails naming the input.
import { Worker } from 'node:worker_threads';

export interface Watchdog {
  /** Marks the start of one input (target index into `names`, case seed). */
  beat(target: number, seed: number): void;
  /** Marks the end of the input: idle time is not a hang. */
  idle(): void;
  stop(): Promise<void>;
}

const WORKER = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { sab, names, hangMs, reportFile } = workerData;
const s = new Int32Array(sab); // [beat counter, busy, target, seed]
let last = -1, since = Date.now();
setInterval(() => {
  const beat = Atomics.load(s, 0);
  if (beat !== last || !Atomics.load(s, 1)) { last = beat; since = Date.now(); return; }
  if (Date.now() - since < hangMs) return;
  const target = names[Atomics.load(s, 2)], seed = (Atomics.load(s, 3) >>> 0).toString(16);
  const msg = '\\nFUZZ HANG: parser ' + target + ', case seed 0x' + seed + ' ran over ' + hangMs + ' ms. Reproduce: FUZZ_REPRO=' + target + ':0x' + seed + ' npx vitest run --project unit tests/unit/fuzz.test.ts\\n';
  fs.writeSync(2, msg);
  if (reportFile) fs.writeFileSync(reportFile, JSON.stringify({ hang: { parser: target, seed: '0x' + seed, ms: Date.now() - since } }, null, 2) + '\\n');
  process.kill(process.pid, 'SIGKILL');
}, 200);
`;

export function startWatchdog(names: string[], hangMs: number, reportFile?: string): Watchdog {
  const sab = new SharedArrayBuffer(16);
  const s = new Int32Array(sab);
  const worker = new Worker(WORKER, { eval: true, workerData: { sab, names, hangMs, reportFile } });
  worker.unref();
  return {
    beat(target, seed) {
      Atomics.store(s, 2, target);
      Atomics.store(s, 3, seed | 0);
      Atomics.store(s, 1, 1);
      Atomics.add(s, 0, 1);
    },
    idle() {
      Atomics.store(s, 1, 0);
    },
    async stop() {
      await worker.terminate();
    },
  };
}
