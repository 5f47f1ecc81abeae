"""Seeded, deterministic generator of synthetic English (+ some French and code) text.

Each document has one label: a topic from tools/topics.py (or "code"), and a language.
The labels are for evaluation only; the model never sees them.

    /usr/bin/python3 tools/corpus.py --out build/corpus  # writes train.jsonl, heldout.jsonl
"""
import argparse
import json
import os
import random

from topics import TOPICS, FRENCH, NAMES, FR_NAMES

IRREGULAR = {"sheep": "sheep", "fish": "fish", "mouse": "mice", "wolf": "wolves", "leaf": "leaves", "calf": "calves",
             "knife": "knives", "goose": "geese", "deer": "deer", "x-ray": "x-rays"}


def plural(w):
    if w in IRREGULAR:
        return IRREGULAR[w]
    if w.endswith(("s", "sh", "ch", "x")):
        return w + "es"
    if w.endswith("y") and w[-2] not in "aeiou":
        return w[:-1] + "ies"
    return w + "s"


def an(w):
    return ("an " if w[0] in "aeiou" else "a ") + w


def cap(s):
    return s[0].upper() + s[1:]


class Doc:
    """Builds one document from a topic's vocabulary with a private RNG."""

    def __init__(self, rng, topic):
        self.r, self.t, self.d = rng, topic, TOPICS[topic]
        self.hero = rng.choice(NAMES)
        self.friend = rng.choice([n for n in NAMES if n != self.hero])
        self.role = rng.choice(self.d["roles"])

    def fill(self, s):
        r, d = self.r, self.d
        o, o2 = r.sample(d["nouns"], 2)
        return s.format(N=r.choice([self.hero, self.hero, self.friend]), R=self.role, P=r.choice(d["places"]),
                        O=o, O2=o2, A=r.choice(d["adjs"]), AA=an(r.choice(d["adjs"])), V=r.choice(d["verbs"]), n=r.randint(2, 12), n2=r.randint(0, 9))

    def intro(self):
        return self.fill(self.r.choice([
            "Once upon a time, there was {R_an} named {N}.", "{N} was {AA} {R} who lived near {P}.",
            "Every morning, {N} the {R} went to {P}.", "This is a story about {N}, {R_an}.",
            "Long ago, near {P}, lived {R_an} called {N}."]).replace("{R_an}", an(self.role)).replace("{N}", self.hero))

    def generic(self):
        return self.fill(self.r.choice([
            "{N} {V}.", "Then {N} {V}.", "The {A} {O} was near {P}.", "{N} the {R} {V} at {P}.",
            "Later that day, {N} {V}.", "Near {P}, {N} saw {AA} {O}.", "{N} and the {O} went to {P}.",
            "It was {AA} day at {P}.", "Everyone at {P} talked about the {O}."]))

    def dialogue(self):
        r = self.r
        line = self.fill(r.choice([
            "Look at the {O}!", "I love the {A} {O}.", "Can we go to {P} today?", "Where is the {O}?",
            "The {O} is so {A}!", "Let us go to {P}.", "Have you seen the {O} near {P}?"]))
        who = r.choice([self.hero, self.friend])
        verb = r.choice(["said", "asked", "shouted", "whispered", "laughed"])
        if r.random() < 0.5:
            return f'"{line}" {verb} {who}.'
        return f'{who} {verb}, "{line}"'

    def arithmetic(self):
        r = self.r
        a, b = r.randint(2, 20), r.randint(1, 15)
        o = plural(r.choice(self.d["nouns"]))
        if r.random() < 0.5:
            return (f"{self.hero} had {a} {o}. {self.friend} gave {self.hero} {b} more. "
                    f"Now {self.hero} has {a + b} {o}, because {a} + {b} = {a + b}.")
        a, b = max(a, b) + 5, min(a, b)
        return f"There were {a} {o} at {self.fill('{P}')}. Then {b} left, so {a} - {b} = {a - b} {o} were still there."

    def listing(self):
        r = self.r
        items = r.sample(self.d["nouns"], r.randint(3, 5))
        head = r.choice([f"{self.hero} made a list:", f"Things at {self.fill('{P}')}:", f"{self.hero} needed:"])
        if r.random() < 0.5:
            return head + "\n" + "\n".join(f"- {i}" for i in items)
        return head + "\n" + "\n".join(f"{k + 1}. {i}" for k, i in enumerate(items))

    def build(self):
        r = self.r
        parts = [self.intro()]
        for _ in range(r.randint(4, 10)):
            x = r.random()
            if x < 0.40:
                parts.append(self.fill(r.choice(self.d["sents"])))
            elif x < 0.65:
                parts.append(self.generic())
            elif x < 0.82:
                parts.append(self.dialogue())
            elif x < 0.92:
                parts.append(self.arithmetic())
            else:
                parts.append("\n" + self.listing() + "\n")
        parts.append(r.choice(["The end.", f"{self.hero} smiled and went home.", "It was a wonderful day.",
                               f"{self.hero} could not wait to come back.", ""]))
        text = " ".join(p for p in parts if p)
        return text.replace(" \n", "\n").replace("\n ", "\n").strip()


def french_doc(rng, topic):
    d = FRENCH[topic]
    name = rng.choice(FR_NAMES)
    parts = [rng.choice([f"{name} aime {d['nouns'][0]}.", f"Voici une histoire de {name}.", f"Aujourd'hui, {name} est content."])]
    for _ in range(rng.randint(3, 7)):
        if rng.random() < 0.75:
            parts.append(rng.choice(d["sents"]).format(N=name, n=rng.randint(2, 12)))
        else:
            a, b = rng.sample(d["nouns"], 2)
            parts.append(f"{name} regarde {a} et {b}.")
    parts.append(rng.choice(["Fin.", "C'est une belle journée.", f"{name} rentre à la maison."]))
    return " ".join(parts)


def code_doc(rng):
    t = rng.choice(list(TOPICS))
    o = rng.choice(TOPICS[t]["nouns"]).replace("-", "_").replace(" ", "_")
    items = plural(o)
    n = rng.randint(2, 9)
    kind = rng.randint(0, 3)
    if kind == 0:
        return (f"def count_{items}({items}):\n    total = 0\n    for {o} in {items}:\n        total += 1\n"
                f"    return total\n\nprint(count_{items}([{', '.join(str(rng.randint(1, 9)) for _ in range(n))}]))")
    if kind == 1:
        return (f"def add(a, b):\n    return a + b\n\nx = {n}\ny = {n + 3}\nprint(add(x, y))  # {2 * n + 3}")
    if kind == 2:
        return (f"class {o.capitalize()}:\n    def __init__(self, name, size={n}):\n        self.name = name\n"
                f"        self.size = size\n\n    def grow(self):\n        self.size += 1\n        return self.size")
    return (f"{items} = []\nfor i in range({n}):\n    if i % 2 == 0:\n        {items}.append(i)\n"
            f"print(len({items}))  # {(n + 1) // 2}")


def generate(n_docs, seed):
    """Yields {"text", "topic", "lang"} dicts; deterministic for a given seed."""
    rng = random.Random(seed)
    topics = list(TOPICS)
    fr_topics = list(FRENCH)
    for i in range(n_docs):
        x = rng.random()
        if x < 0.06:
            yield {"text": code_doc(rng), "topic": "code", "lang": "code"}
        elif x < 0.16:
            t = rng.choice(fr_topics)
            yield {"text": french_doc(rng, t), "topic": t, "lang": "fr"}
        else:
            t = topics[i % len(topics)] if rng.random() < 0.5 else rng.choice(topics)
            yield {"text": Doc(rng, t).build(), "topic": t, "lang": "en"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="build/corpus")
    ap.add_argument("--train-docs", type=int, default=120000)
    ap.add_argument("--heldout-docs", type=int, default=12000)
    ap.add_argument("--seed", type=int, default=1234)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name, n, seed in [("train", a.train_docs, a.seed), ("heldout", a.heldout_docs, a.seed + 1)]:
        with open(os.path.join(a.out, name + ".jsonl"), "w", encoding="utf-8") as f:
            for d in generate(n, seed):
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
    print("corpus written to", a.out)


if __name__ == "__main__":
    main()
