// A JSON value for an error message. JSON.stringify (and a template string's toString) overflow the
// stack on a deeply nested value, a 100k-deep array say, and would turn a typed error into a
// RangeError; a long value would bury the message. This never throws and stays short.
export function showJson(v: unknown, max = 200): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = Array.isArray(v) ? '[...] (nested too deeply to show)' : '{...} (nested too deeply to show)';
  }
  return s.length > max ? `${s.slice(0, max)}...` : s;
}
