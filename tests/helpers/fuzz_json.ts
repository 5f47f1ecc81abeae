// JSON as a mutable tree for the fuzzer: objects keep an entry list (so a key can appear twice),
// and Raw nodes are written verbatim (1e999, NaN, 100k nested arrays: things JSON.stringify cannot
// produce). mutateJson applies one structure-aware mutation: wrong types, non-finite and huge
// numbers, deep nesting, duplicate, missing and extra keys.
import type { Rng } from '../../src/model/rng';

export class JObj {
  constructor(public entries: Array<[string, J]>) {}
}
export class Raw {
  constructor(public text: string) {}
}
export type J = null | boolean | number | string | J[] | JObj | Raw;

export function toTree(v: unknown): J {
  if (Array.isArray(v)) return v.map(toTree);
  if (typeof v === 'object' && v !== null) return new JObj(Object.entries(v).map(([k, x]) => [k, toTree(x)]));
  return v as J;
}

export function serialize(j: J): string {
  const out: string[] = [];
  const walk = (v: J) => {
    if (v instanceof Raw) out.push(v.text);
    else if (v instanceof JObj) {
      out.push('{');
      v.entries.forEach(([k, x], i) => {
        if (i) out.push(',');
        out.push(JSON.stringify(k), ':');
        walk(x);
      });
      out.push('}');
    } else if (Array.isArray(v)) {
      out.push('[');
      v.forEach((x, i) => {
        if (i) out.push(',');
        walk(x);
      });
      out.push(']');
    } else out.push(JSON.stringify(v) ?? 'null');
  };
  walk(j);
  return out.join('');
}

export const pick = <T>(rng: Rng, a: readonly T[]): T => a[rng.int(a.length)];

/** Number literals worth trying anywhere a number goes; the last few are not valid JSON. */
export const NUMBER_TEXT = [
  '0', '-0', '1', '-1', '2', '3', '4', '7', '0.5', '-0.5', '1e-7', '255', '256', '65535', '65536', '2147483647', '2147483648',
  '4294967295', '4294967296', '9007199254740991', '9007199254740993', '18446744073709551615', '1e15', '1e21', '1e300', '-1e300',
  '1e999', '-1e999', '1e-400', '1' + '0'.repeat(400), '1.5', '2.0000000000000004',
  'NaN', 'Infinity', '-Infinity', '0x10', '01', '+1', '.5',
];

function deep(rng: Rng, inner = ''): Raw {
  const d = pick(rng, [200, 2000, 20_000, 100_000]);
  return rng.next() < 0.7 ? new Raw('['.repeat(d) + inner + ']'.repeat(d)) : new Raw('{"a":'.repeat(d) + (inner || '0') + '}'.repeat(d));
}

function numberLike(rng: Rng, old?: number): J {
  if (old !== undefined && rng.next() < 0.4) {
    const v = pick(rng, [old + 1, old - 1, old * 2, -old, old + 0.5, old * 1024, old / 2, old * 2 ** 32]);
    return Number.isFinite(v) ? v : new Raw('1e999');
  }
  return new Raw(pick(rng, NUMBER_TEXT));
}

/** A value of any type: the target's own words, wrong types, huge and odd strings, nesting. */
export function anyValue(rng: Rng, words: readonly string[], donor?: J): J {
  switch (rng.int(9)) {
    case 0: return numberLike(rng);
    case 1: return pick(rng, [null, true, false]);
    case 2: return words.length ? pick(rng, words) : 'x';
    case 3: return pick(rng, ['', 'a', '__proto__', 'constructor', 'toString', '\u0000', '\ud800', 'é', ' ', '1', 'null', 'x'.repeat(pick(rng, [100, 10_000]))]);
    case 4: return pick(rng, [[], [1], [-1], [0, 0], [[]], ['a'], [1.5, 2], [null]]) as J;
    case 5: return new JObj(pick(rng, [[], [['a', 1]], [['__proto__', 1]], [['content', 'x']]]) as Array<[string, J]>);
    case 6: return donor !== undefined ? clone(donor) : null;
    case 7: return rng.next() < 0.3 ? deep(rng) : [anyValue(rng, words)];
    default: return words.length ? pick(rng, words) : 0;
  }
}

function clone(j: J): J {
  if (Array.isArray(j)) return j.map(clone);
  if (j instanceof JObj) return new JObj(j.entries.map(([k, v]) => [k, clone(v)]));
  return j;
}

interface Slot {
  get(): J;
  set(v: J): void;
}

/** Every value in the tree with a setter (the root's setter replaces the root). */
function slots(root: { v: J }): Slot[] {
  const out: Slot[] = [];
  const visit = (get: () => J, set: (v: J) => void) => {
    out.push({ get, set });
    const v = get();
    if (Array.isArray(v)) v.forEach((_, i) => visit(() => v[i], (x) => (v[i] = x)));
    else if (v instanceof JObj) v.entries.forEach((e) => visit(() => e[1], (x) => (e[1] = x)));
  };
  visit(() => root.v, (x) => (root.v = x));
  return out;
}

/** One mutation of a JSON tree, in place; returns the (possibly new) root. */
export function mutateJson(rng: Rng, tree: J, words: readonly string[], keys: readonly string[]): J {
  const root = { v: tree };
  const all = slots(root);
  const s = pick(rng, all);
  const v = s.get();
  const objs = all.map((x) => x.get()).filter((x): x is JObj => x instanceof JObj);
  const nums = all.filter((x) => typeof x.get() === 'number');
  const r = rng.int(100);
  if (r < 22 && nums.length) {
    const n = pick(rng, nums);
    n.set(numberLike(rng, n.get() as number));
  } else if (r < 42) {
    s.set(anyValue(rng, words, pick(rng, all).get()));
  } else if (r < 52 && objs.length) {
    const o = pick(rng, objs);
    if (o.entries.length) o.entries.splice(rng.int(o.entries.length), 1); // a missing key
  } else if (r < 64 && objs.length) {
    const o = pick(rng, objs);
    const key = keys.length && rng.next() < 0.8 ? pick(rng, keys) : pick(rng, ['__proto__', 'constructor', 'toString', '', 'hasOwnProperty']);
    o.entries.splice(rng.int(o.entries.length + 1), 0, [key, anyValue(rng, words)]);
  } else if (r < 74 && objs.length) {
    const o = pick(rng, objs); // a duplicate key: JSON.parse keeps the last one
    if (o.entries.length) {
      const [k, old] = pick(rng, o.entries);
      const dup: [string, J] = [k, rng.next() < 0.5 ? anyValue(rng, words) : clone(old)];
      if (rng.next() < 0.5) o.entries.push(dup);
      else o.entries.unshift(dup);
    }
  } else if (r < 77) {
    s.set(deep(rng, v instanceof Raw ? v.text : serialize(v)));
  } else if (r < 85 && Array.isArray(v)) {
    if (rng.next() < 0.5 && v.length) v.splice(rng.int(v.length), 1);
    else v.splice(rng.int(v.length + 1), 0, v.length && rng.next() < 0.7 ? clone(pick(rng, v)) : anyValue(rng, words));
  } else if (r < 90 && (Array.isArray(v) || v instanceof JObj)) {
    // swap container types: [a, b] <-> {"0": a, "1": b}
    s.set(Array.isArray(v) ? new JObj(v.map((x, i) => [String(i), x])) : v.entries.map((e) => e[1]));
  } else if (r < 95 && typeof v === 'string') {
    s.set(pick(rng, [v + v, v.slice(0, rng.int(v.length + 1)), v.toUpperCase(), ` ${v}`, v.replace(/\d+/, pick(rng, NUMBER_TEXT))]));
  } else {
    s.set(anyValue(rng, words));
  }
  return root.v;
}
