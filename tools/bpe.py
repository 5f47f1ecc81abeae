"""Byte-level BPE (GPT-2 style): training, encoding, decoding, and HF tokenizer.json export.

Ids 0..255 are the 256 single bytes (id == byte value, shown through GPT-2's byte-to-unicode
map), then one id per merge, then <|endoftext|> as the last id.
"""
import collections
import json
import re
import sys
import unicodedata

EOT = "<|endoftext|>"


def bytes_to_unicode():
    """GPT-2's reversible map from the 256 bytes to printable unicode characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE_ENC = bytes_to_unicode()
BYTE_DEC = {v: k for k, v in BYTE_ENC.items()}


def _class_of(prefix):
    """A regex character class (body only) of every code point whose category starts with prefix."""
    ranges, start, prev = [], None, None
    for cp in range(sys.maxunicode + 1):
        if unicodedata.category(chr(cp)).startswith(prefix):
            if start is None:
                start = cp
            elif cp != prev + 1:
                ranges.append((start, prev))
                start = cp
            prev = cp
        # noqa: keep scanning
    ranges.append((start, prev))
    esc = lambda c: "\\U%08x" % c
    return "".join(esc(a) if a == b else esc(a) + "-" + esc(b) for a, b in ranges)


_L, _N = _class_of("L"), _class_of("N")
# GPT-2's pattern with \p{L} / \p{N} spelled out (Python's re lacks \p{...}).
PAT = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[%s]+| ?[%s]+| ?[^\s%s%s]+|\s+(?!\S)|\s+" % (_L, _N, _L, _N))


def pretokenize(text):
    return PAT.findall(text)


def to_symbols(word):
    return "".join(BYTE_ENC[b] for b in word.encode("utf-8"))


def train(texts, vocab_size):
    """Returns the merge list [(a, b), ...] giving vocab_size - 257 merges (or fewer if exhausted)."""
    counts = collections.Counter()
    for t in texts:
        counts.update(pretokenize(t))
    words = [list(to_symbols(w)) for w in counts]
    freq = list(counts.values())
    pairs = collections.Counter()
    where = collections.defaultdict(set)
    for i, w in enumerate(words):
        for p in zip(w, w[1:]):
            pairs[p] += freq[i]
            where[p].add(i)
    merges = []
    while len(merges) < vocab_size - 257 and pairs:
        # Highest count; ties broken by the smaller pair so training is deterministic.
        best = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        if best[1] < 2:
            break
        a, b = best[0]
        merges.append((a, b))
        for i in list(where[best[0]]):
            w, f = words[i], freq[i]
            for p in zip(w, w[1:]):
                pairs[p] -= f
                if pairs[p] <= 0:
                    del pairs[p]
            j, out = 0, []
            while j < len(w):
                if j < len(w) - 1 and w[j] == a and w[j + 1] == b:
                    out.append(a + b)
                    j += 2
                else:
                    out.append(w[j])
                    j += 1
            words[i] = out
            for p in zip(out, out[1:]):
                pairs[p] += f
                where[p].add(i)
        where.pop(best[0], None)
    return merges


class Tokenizer:
    def __init__(self, merges):
        self.merges = [tuple(m) for m in merges]
        self.ranks = {m: i for i, m in enumerate(self.merges)}
        self.vocab = {BYTE_ENC[b]: b for b in range(256)}
        for i, (a, b) in enumerate(self.merges):
            self.vocab[a + b] = 256 + i
        self.eot_id = len(self.vocab)
        self.inv = {i: s for s, i in self.vocab.items()}
        self.cache = {}

    @property
    def vocab_size(self):
        return self.eot_id + 1

    def _bpe(self, word):
        if word in self.cache:
            return self.cache[word]
        sym = list(to_symbols(word))
        while len(sym) > 1:
            cand = [(self.ranks.get(p, 1 << 30), k) for k, p in enumerate(zip(sym, sym[1:]))]
            r, k = min(cand)
            if r == 1 << 30:
                break
            a, b = self.merges[r]
            out, j = [], 0
            while j < len(sym):  # merge every occurrence of (a, b), left to right
                if j < len(sym) - 1 and sym[j] == a and sym[j + 1] == b:
                    out.append(a + b)
                    j += 2
                else:
                    out.append(sym[j])
                    j += 1
            sym = out
        ids = [self.vocab[s] for s in sym]
        self.cache[word] = ids
        return ids

    def encode(self, text):
        """Text to ids; the literal string <|endoftext|> becomes the special token."""
        ids = []
        for k, part in enumerate(text.split(EOT)):
            if k:
                ids.append(self.eot_id)
            for w in pretokenize(part):
                ids.extend(self._bpe(w))
        return ids

    def decode(self, ids):
        out = bytearray()
        for i in ids:
            if i == self.eot_id:
                out.extend(EOT.encode())
            else:
                out.extend(BYTE_DEC[c] for c in self.inv[i])
        return out.decode("utf-8", errors="replace")

    def token_str(self, i):
        """Human-readable token text (for feature UIs)."""
        return EOT if i == self.eot_id else bytes(BYTE_DEC[c] for c in self.inv[i]).decode("utf-8", errors="replace")

    def to_hf_json(self):
        bl = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
        return {
            "version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [{"id": self.eot_id, "content": EOT, "single_word": False, "lstrip": False,
                              "rstrip": False, "normalized": True, "special": True}],
            "normalizer": None,
            "pre_tokenizer": bl,
            "post_processor": dict(bl, trim_offsets=False),
            "decoder": bl,
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                      "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                      "vocab": dict(sorted(self.vocab.items(), key=lambda kv: kv[1])),
                      "merges": [f"{a} {b}" for a, b in self.merges]},
        }

    def hf_config(self, max_len):
        return {
            "add_bos_token": False, "add_prefix_space": False,
            "added_tokens_decoder": {str(self.eot_id): {"content": EOT, "lstrip": False, "normalized": True,
                                                        "rstrip": False, "single_word": False, "special": True}},
            "bos_token": EOT, "eos_token": EOT, "unk_token": EOT, "clean_up_tokenization_spaces": False,
            "model_max_length": max_len, "tokenizer_class": "GPT2Tokenizer",
        }

    @classmethod
    def from_hf_json(cls, path):
        with open(path, encoding="utf-8") as f:
            j = json.load(f)
        return cls([tuple(m.split(" ")) for m in j["model"]["merges"]])
