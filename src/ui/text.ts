/** A token's text with whitespace made visible: a leading space is part of the token. */
export function visible(s: string): string {
  return s.replace(/ /g, '·').replace(/\n/g, '↵').replace(/\t/g, '⇥') || '∅';
}
