// Local feature labels from dataset examples, for features no one has explained: the 1-3 token
// n-grams of its top examples, weighted by activation (most on the tokens where it fires) and contrasted
// against how many other features' examples hold the same n-gram (TF-IDF over features). A
// dominant corpus topic and a distinctive language are named in front, so a search for "French"
// finds French features. Used offline by tools/ngram_labels.mjs for the bundled index, and by any
// caller holding every feature's examples.

/** One dataset example: token ids and the feature's activation on each. */
export interface Example {
  tokens: number[];
  acts: number[];
  max_at: number;
}

export interface FeatureExamples {
  contexts: Example[];
  /** [topic, share of activation mass], largest first. */
  topics?: Array<[string, number]>;
  /** Share of activation mass by language code. */
  langs?: Record<string, number>;
}

export const LANGUAGE_NAMES: Record<string, string> = { en: 'English', fr: 'French', de: 'German', es: 'Spanish', code: 'code' };

/**
 * Examples with the same token sequence once, keeping the strongest: windows of a repetitive
 * corpus often hold the same sentence, and twenty copies of it say less than one.
 */
export function dedupeExamples<T extends Example>(contexts: T[]): T[] {
  const best = new Map<string, T>();
  for (const c of contexts) {
    const key = c.tokens.join(',');
    const had = best.get(key);
    if (!had || (c.acts[c.max_at] ?? 0) > (had.acts[had.max_at] ?? 0)) best.set(key, c);
  }
  // strongest first, as the data lists them
  return [...best.values()].sort((a, b) => (b.acts[b.max_at] ?? 0) - (a.acts[a.max_at] ?? 0));
}

/**
 * Examples grouped by the words around their peak (`before` tokens before it, `after` after): a
 * synthetic or templated corpus repeats one sentence after many different openings (on the
 * bundled data this turns 38,480 distinct examples into 27,315 groups; #597's 19 into 1). Each
 * group is its strongest example and how many examples it stands for, strongest group first.
 */
export function groupByPeak<T extends Example>(examples: T[], before = 2, after = 3): Array<{ example: T; count: number }> {
  const groups = new Map<string, { example: T; count: number }>();
  for (const c of examples) {
    const key = c.tokens.slice(Math.max(0, c.max_at - before), c.max_at + after + 1).join(',');
    const g = groups.get(key);
    if (!g) groups.set(key, { example: c, count: 1 });
    else {
      g.count++;
      if ((c.acts[c.max_at] ?? 0) > (g.example.acts[g.example.max_at] ?? 0)) g.example = c;
    }
  }
  const peak = (c: T) => c.acts[c.max_at] ?? 0;
  return [...groups.values()].sort((a, b) => peak(b.example) - peak(a.example));
}

interface Gram {
  key: string;
  text: string;
  /** The n-gram's token ids, to tell when one n-gram holds another. */
  ids: number[];
  weight: number;
}

const WORDY = /[\p{L}\p{N}]/u;

/**
 * A feature's n-grams (n = 1..3) in its examples. Each counts once per example, weighted by the
 * example's peak activation relative to the feature's strongest, and halved unless the n-gram holds
 * a token where the feature fires at half that peak or more: the firing tokens matter most, the
 * words around them say what the context is. N-grams with a token that has no letter or digit
 * (punctuation, newlines, <|endoftext|>) are skipped.
 */
export function exampleNgrams(contexts: Example[], tokens: string[], maxN = 3): Map<string, Gram> {
  const peakOf = (c: Example) => Math.max(0, ...c.acts);
  const peak = Math.max(1e-9, ...contexts.map(peakOf));
  const out = new Map<string, Gram>();
  for (const c of contexts) {
    const p = peakOf(c);
    if (!(p > 0)) continue;
    const here = new Map<string, Gram>();
    for (let start = 0; start < c.tokens.length; start++) {
      for (let n = 1; n <= maxN && start + n <= c.tokens.length; n++) {
        const ids = c.tokens.slice(start, start + n);
        const strs = ids.map((t) => tokens[t] ?? '');
        if (strs.some((s) => !WORDY.test(s) || s.includes('<|') || s.includes('\n'))) break;
        const fires = c.acts.slice(start, start + n).some((a) => a >= p / 2);
        const weight = (p / peak) * (fires ? 1 : 0.5);
        const text = strs.join('').trim().replace(/\s+/g, ' ');
        const key = text.toLowerCase();
        if (/^\p{L}$/u.test(text)) continue; // a lone letter ("l", "C" of "C'est") says nothing
        const g = here.get(key);
        if (!g || g.weight < weight) here.set(key, { key, text, ids, weight });
      }
    }
    for (const g of here.values()) {
      const had = out.get(g.key);
      if (had) had.weight += g.weight;
      else out.set(g.key, { ...g });
    }
  }
  return out;
}

const contains = (big: number[], small: number[]) => {
  for (let i = 0; i + small.length <= big.length; i++) if (small.every((t, j) => big[i + j] === t)) return true;
  return false;
};

/** a followed by b where a's last tokens are b's first ("warned that a" + "that a hurricane"), or null. */
function overlapJoin(a: number[], b: number[]): number[] | null {
  for (let k = Math.min(a.length, b.length) - 1; k >= 1; k--) {
    if (a.slice(a.length - k).every((t, j) => b[j] === t)) return [...a, ...b.slice(k)];
  }
  return null;
}

/**
 * The picked phrases: nested n-grams are passed over, overlapping ones joined into one phrase (up
 * to 5 tokens) where the examples hold the joined phrase, else passed over too.
 */
function pickPhrases(ranked: number[][], perLabel: number, occurs: (ids: number[]) => boolean): number[][] {
  const picked: number[][] = [];
  for (const ids of ranked) {
    if (picked.length >= perLabel) break;
    if (picked.some((p) => contains(p, ids) || contains(ids, p))) continue;
    const at = picked.findIndex((p) => overlapJoin(p, ids) ?? overlapJoin(ids, p));
    if (at < 0) picked.push(ids);
    else {
      const joined = [overlapJoin(picked[at], ids), overlapJoin(ids, picked[at])].find((j) => j && j.length <= 5 && occurs(j));
      if (joined) picked[at] = joined;
    }
  }
  return picked;
}

/** What a feature's label starts with: its dominant topic (>= 60% of its mass), and a language far above its average share. */
export function labelPrefix(f: FeatureExamples, meanLang: Record<string, number>): string {
  const parts: string[] = [];
  const [topic, share] = f.topics?.[0] ?? ['', 0];
  if (topic && share >= 0.6) parts.push(topic);
  for (const [lang, s] of Object.entries(f.langs ?? {})) {
    // "English" on most features of an English corpus would say nothing
    if (s >= 0.6 && s >= 1.5 * (meanLang[lang] ?? 0)) parts.push(LANGUAGE_NAMES[lang] ?? lang);
  }
  return parts.length ? `${parts.join(' · ')}: ` : '';
}

/**
 * Labels for every feature from its examples: the 3 highest-scoring n-grams, where score =
 * (activation-weighted share of the feature's distinct examples holding it) * log((N + 1) / (df + 1)),
 * df the number of features whose examples hold it (see pickPhrases). Features without examples get ''.
 */
export function ngramLabels(features: FeatureExamples[], tokens: string[], perLabel = 3): string[] {
  const grams = features.map((f) => exampleNgrams(dedupeExamples(f.contexts), tokens));
  const df = new Map<string, number>();
  for (const g of grams) for (const k of g.keys()) df.set(k, (df.get(k) ?? 0) + 1);
  const live = features.filter((f) => f.contexts.length);
  const meanLang: Record<string, number> = {};
  for (const f of live) for (const [l, s] of Object.entries(f.langs ?? {})) meanLang[l] = (meanLang[l] ?? 0) + s / live.length;
  const N = live.length;
  return features.map((f, i) => {
    const examples = dedupeExamples(f.contexts);
    const nEx = examples.length;
    if (!nEx) return '';
    // one stray example is not characteristic when there are several: ask for 1.5 examples' worth
    const minWeight = nEx >= 4 ? 1.5 : 0;
    const scored = [...grams[i].values()]
      .filter((g) => g.weight >= minWeight)
      .map((g) => ({ g, score: (g.weight / nEx) * Math.log((N + 1) / (df.get(g.key)! + 1)) }))
      .sort((a, b) => b.score - a.score || b.g.ids.length - a.g.ids.length); // on a tie the longer, more specific phrase
    const phrases = pickPhrases(scored.map(({ g }) => g.ids), perLabel, (ids) => examples.some((c) => contains(c.tokens, ids)));
    const text = (ids: number[]) => ids.map((t) => tokens[t] ?? '').join('').trim().replace(/\s+/g, ' ');
    return phrases.length ? labelPrefix(f, meanLang) + phrases.map(text).join(', ') : '';
  });
}
