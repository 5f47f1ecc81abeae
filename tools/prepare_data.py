"""Trains the BPE tokenizer, writes tokenizer.json/tokenizer_config.json, and encodes the corpus.

Outputs (under --build):
  {split}_ids.npy    uint16 [N] token ids; every document is preceded by <|endoftext|>
  {split}_topic.npy  int8   [N] topic index (topics.py order, then "code"), -1 on <|endoftext|>
  {split}_lang.npy   int8   [N] 0 en, 1 fr, 2 code, -1 on <|endoftext|>
"""
import argparse
import json
import os

import numpy as np

import bpe
from topics import TOPICS

TOPIC_NAMES = list(TOPICS) + ["code"]
LANGS = ["en", "fr", "code"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="tools/_build")
    ap.add_argument("--out", default="public/models/glassbox-mini")
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--bpe-docs", type=int, default=30000)
    ap.add_argument("--n-ctx", type=int, default=256)
    a = ap.parse_args()
    docs = {s: [json.loads(l) for l in open(f"{a.build}/corpus/{s}.jsonl", encoding="utf-8")] for s in ("train", "heldout")}
    merges = bpe.train([d["text"] for d in docs["train"][:a.bpe_docs]], a.vocab)
    tok = bpe.Tokenizer(merges)
    os.makedirs(a.out, exist_ok=True)
    with open(f"{a.out}/tokenizer.json", "w", encoding="utf-8") as f:
        json.dump(tok.to_hf_json(), f, ensure_ascii=False)
    with open(f"{a.out}/tokenizer_config.json", "w", encoding="utf-8") as f:
        json.dump(tok.hf_config(a.n_ctx), f, indent=2, ensure_ascii=False)
    print("vocab size", tok.vocab_size, "merges", len(merges))
    for split, ds in docs.items():
        ids, top, lang = [], [], []
        for d in ds:
            x = tok.encode(d["text"])
            ids.append(tok.eot_id)
            ids.extend(x)
            top.extend([-1] + [TOPIC_NAMES.index(d["topic"])] * len(x))
            lang.extend([-1] + [LANGS.index(d["lang"])] * len(x))
        np.save(f"{a.build}/{split}_ids.npy", np.array(ids, dtype=np.uint16))
        np.save(f"{a.build}/{split}_topic.npy", np.array(top, dtype=np.int8))
        np.save(f"{a.build}/{split}_lang.npy", np.array(lang, dtype=np.int8))
        print(split, len(ids), "tokens")


if __name__ == "__main__":
    main()
