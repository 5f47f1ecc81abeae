/** A token's text with whitespace made visible: a leading space is part of the token. */
export function visible(s: string): string {
  return s.replace(/ /g, '·').replace(/\n/g, '↵').replace(/\t/g, '⇥') || '∅';
}

/** An activation as shown beside tokens: two decimals below 10, one up to 100, none above (12.3, not "12." cut off). */
export function act(v: number): string {
  const a = Math.abs(v);
  return v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2);
}
