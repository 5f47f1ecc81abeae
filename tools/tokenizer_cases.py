"""Writes tests/fixtures/glassbox-mini.tokenizer.json: texts and the ids tools/bpe.py gives them.

tools/check_tokenizer.mjs checks that @huggingface/tokenizers gives the same ids and decodes
them back to the same text.
"""
import json
import sys

import bpe

CASES = [
    "The ship sailed across the ocean",
    "Le bateau navigue sur la mer.",
    "def add(a, b):\n    return a + b",
    "Hello",
    "café 🌊 naïve — 東京\n\nnew  lines\tand   spaces  ",
    "\"Look at the whale!\" said Mia. 12 + 30 = 42.",
    "It's the king's crown, isn't it? They'll see; we'd go.",
    "<|endoftext|>Once upon a time, there was a knight named Leo.<|endoftext|>",
    "ZÜRICH ½ ² x_y __init__ self.size += 1",
    " leading space and trailing ",
]


def main(tok_path="public/models/glassbox-mini/tokenizer.json", out="tests/fixtures/glassbox-mini.tokenizer.json"):
    tok = bpe.Tokenizer.from_hf_json(tok_path)
    cases = []
    for t in CASES:
        ids = tok.encode(t)
        assert tok.decode(ids) == t, t
        cases.append({"text": t, "ids": ids, "tokens": [tok.token_str(i) for i in ids]})
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"tokenizer": tok_path, "eot_id": tok.eot_id, "cases": cases}, f, ensure_ascii=False, indent=1)
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
