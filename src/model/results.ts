// Joining the results of a long input run in several chunks.
import type { ForwardResult } from './gpt2';

function cat<T extends Float32Array | Uint32Array>(xs: T[], make: (n: number) => T): T {
  const out = make(xs.reduce((a, x) => a + x.length, 0));
  let o = 0;
  for (const x of xs) {
    out.set(x as never, o);
    o += x.length;
  }
  return out;
}

/** Joins the results of consecutive chunks of one input. */
export function concatResults(parts: ForwardResult[]): ForwardResult {
  const hooks: Record<string, Float32Array> = {};
  for (const h of Object.keys(parts[0].hooks)) hooks[h] = cat(parts.map((p) => p.hooks[h]), (n) => new Float32Array(n));
  const sae = parts[0].sae
    ? {
        topIdx: cat(parts.map((p) => p.sae!.topIdx), (n) => new Uint32Array(n)),
        topVal: cat(parts.map((p) => p.sae!.topVal), (n) => new Float32Array(n)),
        err: cat(parts.map((p) => p.sae!.err), (n) => new Float32Array(n)),
      }
    : null;
  return { logits: cat(parts.map((p) => p.logits), (n) => new Float32Array(n)), hooks, sae };
}
