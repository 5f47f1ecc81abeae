"""Per-feature data for the UI, computed over held-out text (see features/SCHEMA.md).

Writes <model>/features/index.json, tokens.json and shards NNN.json (64 features each).
Promoted/suppressed tokens: W_dec[i] centred (LayerNorm's mean subtraction), times ln_f.weight
(the gain), then @ wte.T; ln_f's per-token scale and its bias are ignored.
"""
import argparse
import json
import os
import re

import numpy as np
import torch

import bpe
import gpt2
import heldout_acts
import sae as sae_lib
from prepare_data import TOPIC_NAMES, LANGS

SHARD = 64
N_CONTEXTS, BEFORE, AFTER = 20, 10, 3
N_BINS = 16


def r3(x):
    return float(f"{x:.3g}")


def contexts_for(rows, vals, j, idx, val, ids, topic, n_ctx):
    """Top activating tokens of feature j (one per window, strongest first) with their windows."""
    out, used = [], set()
    for r, v in zip(rows, vals):
        win = r // n_ctx
        if win in used:
            continue
        used.add(win)
        lo, hi = max(win * n_ctx, r - BEFORE), min((win + 1) * n_ctx, r + AFTER + 1)
        acts = np.where(idx[lo:hi] == j, val[lo:hi], 0).sum(1)
        out.append({"tokens": ids[lo:hi].tolist(), "acts": [r3(a) for a in acts], "max_at": int(r - lo),
                    "topic": TOPIC_NAMES[topic[r]] if topic[r] >= 0 else None})
        if len(out) == N_CONTEXTS:
            break
    return out


def label_for(tok_ids, tok_w, p_global, topic_share, tok, min_share=0.002):
    """Automatic label: dominant topic (if >= 60% of activation mass) + the 3 most characteristic
    tokens: among tokens holding >= min_share of the feature's activation mass, the highest
    lift share / p_global (p_global = the token's held-out frequency). Tokens without a letter
    or digit are skipped unless they rank first."""
    share = np.bincount(tok_ids, weights=tok_w, minlength=len(p_global))
    share /= max(share.sum(), 1e-12)
    cand = np.nonzero(share >= min(min_share, share.max()))[0]
    lift = share[cand] / np.maximum(p_global[cand], 1e-12)
    words, seen = [], set()
    for rank, t in enumerate(cand[np.argsort(-lift, kind="stable")][:30]):
        s = tok.token_str(int(t)).strip()
        key = s.lower()
        if key in seen or (rank > 0 and not any(c.isalnum() for c in s)):
            continue
        seen.add(key)
        words.append(s if s else repr(tok.token_str(int(t))))
        if len(words) == 3:
            break
    top_topic, tshare = topic_share[0] if topic_share else (None, 0)
    head = f"{top_topic}: " if top_topic and tshare >= 0.6 else ""
    return head + ", ".join(words)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="tools/_build")
    ap.add_argument("--model", default="public/models/glassbox-mini")
    ap.add_argument("--hook", default="blocks.2.hook_resid_pre")
    a = ap.parse_args()
    torch.set_num_threads(2)
    model = gpt2.load(a.model)
    sae, cfg = sae_lib.load(f"{a.model}/sae/{a.hook}")
    tok = bpe.Tokenizer.from_hf_json(f"{a.model}/tokenizer.json")
    ids_all = np.load(f"{a.build}/heldout_ids.npy")
    H = heldout_acts.compute(model, sae, ids_all, a.hook)
    np.savez(f"{a.build}/heldout_acts.npz", **H)
    idx, val, n = H["idx"].astype(np.int64), H["val"], H["n_tokens"]
    ids = ids_all[:n]
    topic = np.load(f"{a.build}/heldout_topic.npy")[:n]
    lang = np.load(f"{a.build}/heldout_lang.npy")[:n]
    n_ctx, S = model.cfg["n_positions"], sae.d_sae
    p_global = np.bincount(ids, minlength=tok.vocab_size) / n
    print(f"held-out acts: {n} tokens, FVE {H['fve']:.4f}", flush=True)

    # Sparse triples (token row, feature, value) for every firing, sorted by feature then value desc.
    live = val > 0
    rows = np.broadcast_to(np.arange(n)[:, None], idx.shape)[live]
    feats, vals = idx[live], val[live]
    order = np.lexsort((-vals, feats))
    rows, feats, vals = rows[order], feats[order], vals[order]
    starts = np.searchsorted(feats, np.arange(S + 1))
    density = np.diff(starts) / n
    max_act = np.zeros(S, np.float32)
    max_act[density > 0] = vals[starts[:-1][density > 0]]

    # Output-token effects and decoder neighbours.
    W_dec = sae.W_dec.detach()
    d = W_dec - W_dec.mean(1, keepdim=True)
    eff = (d * model.ln_f.weight.detach()) @ model.wte.weight.detach().T  # (S, V)
    top_v, top_i = eff.topk(10, dim=1)
    bot_v, bot_i = (-eff).topk(10, dim=1)
    Wn = W_dec / W_dec.norm(dim=1, keepdim=True)
    cos = Wn @ Wn.T
    cos.fill_diagonal_(-2)
    nb_v, nb_i = cos.topk(10, dim=1)

    out_dir = f"{a.model}/features"
    os.makedirs(out_dir, exist_ok=True)
    for f in os.listdir(out_dir):
        if re.fullmatch(r"\d{3}\.json", f):
            os.remove(f"{out_dir}/{f}")
    index, shard = [], []
    for j in range(S):
        s0, s1 = starts[j], starts[j + 1]
        fr, fv = rows[s0:s1], vals[s0:s1]
        rec = {"id": j, "max_act": r3(max_act[j]), "density": float(f"{density[j]:.4g}")}
        if s1 > s0:
            t = topic[fr]
            tw = np.bincount(t[t >= 0], weights=fv[t >= 0], minlength=len(TOPIC_NAMES))
            lw = np.bincount(lang[fr][t >= 0], weights=fv[t >= 0], minlength=len(LANGS))
            tshare = sorted(((TOPIC_NAMES[k], tw[k] / max(tw.sum(), 1e-9)) for k in range(len(TOPIC_NAMES))),
                            key=lambda x: -x[1])[:3]
            counts, edges = np.histogram(fv, bins=N_BINS, range=(0.0, float(max_act[j])))
            rec.update({
                "label": label_for(ids[fr], fv, p_global, tshare, tok),
                "histogram": {"min": 0.0, "max": r3(max_act[j]), "counts": counts.tolist()},
                "topics": [[k, round(float(v), 3)] for k, v in tshare],
                "langs": {LANGS[k]: round(float(lw[k] / max(lw.sum(), 1e-9)), 3) for k in range(len(LANGS))},
                "contexts": contexts_for(fr, fv, j, idx, val, ids, topic, n_ctx),
            })
        else:
            rec.update({"label": "(dead)", "histogram": {"min": 0.0, "max": 0.0, "counts": [0] * N_BINS},
                        "topics": [], "langs": {}, "contexts": []})
        rec["promoted"] = [[int(i), r3(v)] for i, v in zip(top_i[j], top_v[j])]
        rec["suppressed"] = [[int(i), r3(-v)] for i, v in zip(bot_i[j], bot_v[j])]
        rec["neighbours"] = [[int(i), round(float(v), 3)] for i, v in zip(nb_i[j], nb_v[j])]
        index.append([rec["label"], rec["max_act"], rec["density"]])
        shard.append(rec)
        if len(shard) == SHARD or j == S - 1:
            with open(f"{out_dir}/{j // SHARD:03d}.json", "w", encoding="utf-8") as fh:
                json.dump({"shard": j // SHARD, "first": j // SHARD * SHARD, "features": shard}, fh,
                          ensure_ascii=False, separators=(",", ":"))
            shard = []
    meta = {"n_features": S, "shard_size": SHARD, "hook_name": a.hook, "n_tokens": int(n),
            "context": {"before": BEFORE, "after": AFTER, "n": N_CONTEXTS},
            "columns": ["label", "max_act", "density"], "features": index}
    with open(f"{out_dir}/index.json", "w", encoding="utf-8") as fh:
        json.dump(meta, fh, ensure_ascii=False, separators=(",", ":"))
    with open(f"{out_dir}/tokens.json", "w", encoding="utf-8") as fh:
        json.dump([tok.token_str(i) for i in range(tok.vocab_size)], fh, ensure_ascii=False)
    print(f"wrote {S} features to {out_dir}; dead {(density == 0).sum()}")


if __name__ == "__main__":
    main()
