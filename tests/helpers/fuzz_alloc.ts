// Allocation probe for the fuzzer: wraps the ArrayBuffer and typed-array constructors so that every
// buffer a parser allocates is measured before it is made. Import this module FIRST (before fflate,
// @huggingface/tokenizers or any src/ module): a library that copies `Uint8Array` into a local at
// load time (fflate: `var u8 = Uint8Array`) then allocates through the wrapper too. Species
// constructions (slice, map, filter, subarray of a copy) go through the wrapper because each
// prototype's `constructor` is pointed at it.
//
// While armed, an allocation larger than `cap` bytes is refused (it throws) so a runaway length in a
// fuzzed file cannot take the machine's memory; the request is recorded first, so the runner sees
// it even when the parser catches the throw and turns it into a typed error.

export interface AllocProbe {
  /** Starts measuring one input; allocations above capBytes are recorded and refused. */
  arm(capBytes: number): void;
  /** Stops measuring; returns the largest single allocation (bytes) requested while armed. */
  disarm(): number;
  /** true once the constructors are wrapped (false if another module got there first). */
  readonly installed: boolean;
}

const NAMES = [
  'ArrayBuffer', 'SharedArrayBuffer', 'Uint8Array', 'Uint8ClampedArray', 'Int8Array', 'Uint16Array', 'Int16Array',
  'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
] as const;

/** Thrown inside a parser when it asks for more than the input can justify. */
export class AllocationRefused extends Error {
  override name = 'AllocationRefused';
}

let armed = false;
let cap = Infinity;
let largest = 0;

/** Bytes a construction will allocate: 0 for a view on an existing buffer. */
function requested(name: string, target: { BYTES_PER_ELEMENT?: number }, args: unknown[]): number {
  const per = target.BYTES_PER_ELEMENT ?? 1;
  const a = args[0];
  if (a === undefined || a === null) return 0;
  if (typeof a === 'number' || typeof a === 'bigint' || typeof a === 'string' || typeof a === 'boolean') {
    const n = Number(a);
    return Number.isFinite(n) && n > 0 ? Math.floor(n) * (name.endsWith('Buffer') ? 1 : per) : 0;
  }
  if (a instanceof ArrayBufferOrig || (typeof SharedArrayBuffer !== 'undefined' && a instanceof SharedArrayBuffer)) return 0;
  const len = (a as { length?: unknown }).length;
  return typeof len === 'number' && Number.isFinite(len) ? Math.max(0, len) * per : -1; // -1: an iterable, measured after
}

const ArrayBufferOrig = globalThis.ArrayBuffer;

function install(): boolean {
  const g = globalThis as unknown as Record<string, unknown>;
  if ((g.ArrayBuffer as { __fuzzProbe?: boolean }).__fuzzProbe) return true;
  for (const name of NAMES) {
    const orig = g[name] as (new (...a: unknown[]) => { byteLength: number }) & { prototype: object; BYTES_PER_ELEMENT?: number };
    if (typeof orig !== 'function') continue;
    const wrapped: typeof orig = new Proxy(orig, {
      construct(target, args, newTarget) {
        if (!armed) return Reflect.construct(target, args, newTarget === wrapped ? target : newTarget);
        const n = requested(name, target, args);
        if (n > largest) largest = n;
        if (n > cap) throw new AllocationRefused(`${name}(${n} bytes) exceeds the fuzz cap of ${cap} bytes`);
        const out = Reflect.construct(target, args, newTarget === wrapped ? target : newTarget) as { byteLength: number };
        if (n < 0 && out.byteLength > largest) largest = out.byteLength;
        return out;
      },
      get(target, key, receiver) {
        if (key === '__fuzzProbe') return true;
        return Reflect.get(target, key, receiver);
      },
    });
    Object.defineProperty(orig.prototype, 'constructor', { value: wrapped, writable: true, configurable: true, enumerable: false });
    g[name] = wrapped;
  }
  return true;
}

const installed = install();

export const allocProbe: AllocProbe = {
  arm(capBytes) {
    armed = true;
    cap = capBytes;
    largest = 0;
  },
  disarm() {
    armed = false;
    cap = Infinity;
    return largest;
  },
  installed,
};
