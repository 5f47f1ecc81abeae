"""Evaluation of the model and SAE; writes <model>/metrics.json. Run after features.py
(it reuses the held-out SAE activations cached in tools/_build/heldout_acts.npz).
"""
import argparse
import json
import re
import time

import numpy as np
import torch
import torch.nn.functional as F

import bpe
import gpt2
import heldout_acts
import sae as sae_lib
from prepare_data import TOPIC_NAMES
from topics import TOPICS, FRENCH, topic_words

CE_TOKENS = 1 << 17  # 131,072 held-out tokens for CE clean / SAE / zero-ablated
THRESHOLDS = [0.0, 0.05, 0.1, 0.2, 0.3, 0.5]  # fire = act > thr * max_act


@torch.no_grad()
def ce(model, ids, edit=None, bs=16):
    n_ctx = model.cfg["n_positions"]
    n_win = CE_TOKENS // n_ctx
    tot, cnt = 0.0, 0
    for w in range(0, n_win, bs):
        x = torch.from_numpy(ids[w * n_ctx:(w + bs) * n_ctx + 1].astype(np.int64))
        inp, tgt = x[:-1].view(bs, n_ctx), x[1:].view(bs, n_ctx)
        logits = model(inp, edit=edit)
        tot += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), reduction="sum").item()
        cnt += tgt.numel()
    return tot / cnt


def topic_detection(idx, val, topic, lang, max_act, S):
    """For each topic: the (feature, threshold) with best F1 at flagging English tokens of that topic
    among all tokens (French tokens of the same topic left out), and its recall on the French ones."""
    n_t = len(TOPIC_NAMES)
    res = {}
    best_by_thr = []
    for thr in THRESHOLDS:
        fire = val > thr * max_act[idx]
        f_idx, rows = idx[fire], np.broadcast_to(np.arange(len(idx))[:, None], idx.shape)[fire]
        t, l = topic[rows], lang[rows]
        key_en = np.where((t >= 0) & (l != 1), t, n_t)  # n_t = EOT bucket
        key_fr = np.where((t >= 0) & (l == 1), t, n_t)
        c_en = np.bincount(f_idx * (n_t + 1) + key_en, minlength=S * (n_t + 1)).reshape(S, n_t + 1)
        c_fr = np.bincount(f_idx * (n_t + 1) + key_fr, minlength=S * (n_t + 1)).reshape(S, n_t + 1)
        best_by_thr.append((thr, c_en, c_fr, np.bincount(f_idx, minlength=S)))
    for k, name in enumerate(TOPIC_NAMES[:-1]):  # skip "code"
        pos = int(((topic == k) & (lang != 1)).sum())
        pos_fr = int(((topic == k) & (lang == 1)).sum())
        best = None
        for thr, c_en, c_fr, fires in best_by_thr:
            tp = c_en[:, k]
            fp = fires - tp - c_fr[:, k]
            prec = tp / np.maximum(tp + fp, 1)
            rec = tp / max(pos, 1)
            f1 = 2 * prec * rec / np.maximum(prec + rec, 1e-9)
            j = int(f1.argmax())
            if best is None or f1[j] > best["f1"]:
                best = {"feature": j, "threshold_x_max": thr, "f1": round(float(f1[j]), 4),
                        "precision": round(float(prec[j]), 4), "recall": round(float(rec[j]), 4),
                        "french_recall": round(float(c_fr[j, k] / pos_fr), 4) if pos_fr else None}
        res[name] = best
    return res


def word_share(texts, words):
    ws = [w for t in texts for w in re.findall(r"[a-z][a-z'-]*", t.lower())]
    return sum(w in words for w in ws) / max(len(ws), 1)


def steering(model, sae, tok, hook, det, max_act, heldout_docs, n_prompt=12, n_new=40, n_rows=20):
    pool = {}  # two English prompts (first n_prompt tokens after <|endoftext|>) per topic
    for d in heldout_docs:
        if d["lang"] == "en" and d["topic"] in TOPICS and len(pool.setdefault(d["topic"], [])) < 2:
            pool[d["topic"]].append([tok.eot_id] + tok.encode(d["text"])[:n_prompt])
    rows = [(t, p) for t in TOPICS for p in pool[t]]
    seeds = list(range(len(rows)))  # row i always samples with seed i, steered or not
    out = generate_with_seeds(model, [p for _, p in rows], seeds, n_new, None)
    base = {i: tok.decode(o) for i, o in enumerate(out)}
    res = {}
    for name in TOPICS:
        j = det[name]["feature"]
        sel = [i for i, (t, _) in enumerate(rows) if t != name][:n_rows]
        words = set(topic_words(name))
        r = {"feature": j, "baseline": round(word_share([base[i] for i in sel], words), 4)}
        for mult in (5, 10):
            v = mult * float(max_act[j])

            def clamp(x, j=j, v=v):
                f = sae.encode(x)[..., j:j + 1]
                return x + (v - f) * sae.W_dec[j]

            prompts = [rows[i][1] for i in sel]
            gens = generate_with_seeds(model, prompts, [seeds[i] for i in sel], n_new, (hook, clamp))
            texts = [tok.decode(o) for o in gens]
            r[f"clamp_{mult}x"] = round(word_share(texts, words), 4)
            if mult == 10:
                r["sample_10x"] = texts[0]
        r["sample_baseline"] = base[sel[0]]
        res[name] = r
        print("steering", name, r["baseline"], r["clamp_5x"], r["clamp_10x"], flush=True)
    return res


@torch.no_grad()
def generate_with_seeds(model, prompts, seeds, n_new, edit, temperature=0.8):
    """Batched sampling (prompts of equal length); row r samples with its own generator seeds[r]."""
    gens = [torch.Generator().manual_seed(s) for s in seeds]
    x = torch.tensor(prompts)
    for _ in range(n_new):
        probs = (model(x, edit=edit)[:, -1] / temperature).softmax(-1)
        nxt = torch.stack([torch.multinomial(probs[r], 1, generator=gens[r]) for r in range(len(prompts))])
        x = torch.cat([x, nxt], 1)
    return x[:, len(prompts[0]):].tolist()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="tools/_build")
    ap.add_argument("--model", default="public/models/glassbox-mini")
    ap.add_argument("--hook", default="blocks.2.hook_resid_pre")
    ap.add_argument("--skip-steering", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(2)
    t0 = time.time()
    model = gpt2.load(a.model)
    sae, cfg = sae_lib.load(f"{a.model}/sae/{a.hook}")
    tok = bpe.Tokenizer.from_hf_json(f"{a.model}/tokenizer.json")
    ids = np.load(f"{a.build}/heldout_ids.npy")
    H = heldout_acts.get(model, sae, ids, a.hook, f"{a.build}/heldout_acts.npz")
    idx, val, n = H["idx"].astype(np.int64), H["val"], H["n_tokens"]
    topic = np.load(f"{a.build}/heldout_topic.npy")[:n]
    lang = np.load(f"{a.build}/heldout_lang.npy")[:n]
    S = sae.d_sae
    live = val > 0
    fired = np.bincount(idx[live], minlength=S)
    max_act = np.zeros(S, np.float32)
    np.maximum.at(max_act, idx[live], val[live])

    ce_clean = ce(model, ids)
    ce_sae = ce(model, ids, edit=(a.hook, lambda x: sae(x)))
    ce_zero = ce(model, ids, edit=(a.hook, lambda x: torch.zeros_like(x)))
    print(f"CE clean {ce_clean:.4f} sae {ce_sae:.4f} zero {ce_zero:.4f}", flush=True)
    det = topic_detection(idx, val, topic, lang, max_act, S)
    n_good = sum(1 for d in det.values() if d["precision"] >= 0.8 and d["recall"] >= 0.5)
    docs = [json.loads(l) for l in open(f"{a.build}/corpus/heldout.jsonl", encoding="utf-8")][-2000:]
    steer = {} if a.skip_steering else steering(model, sae, tok, a.hook, det, max_act, docs)
    n_steer = sum(1 for r in steer.values() if r["baseline"] < 0.05 and r["clamp_10x"] >= 0.25)
    n_steer5 = sum(1 for r in steer.values() if r["baseline"] < 0.05 and r["clamp_5x"] >= 0.25)
    train = json.load(open(f"{a.build}/train_model.json"))
    m = {
        "model": {"heldout_loss": round(ce_clean, 4), "heldout_tokens": CE_TOKENS,
                  "heldout_loss_256_windows_at_train_end": round(train["heldout_loss"], 4),
                  "train_tokens_seen": train["tokens_seen"], "train_seconds": round(train["train_seconds"])},
        "sae": {"hook_name": a.hook, "d_sae": S, "k": sae.k,
                "l0": round(float(live.sum() / n), 3), "fraction_variance_explained": round(H["fve"], 4),
                "ce_clean": round(ce_clean, 4), "ce_with_sae": round(ce_sae, 4), "ce_zero_ablated": round(ce_zero, 4),
                "loss_recovered": round((ce_zero - ce_sae) / (ce_zero - ce_clean), 4),
                "dead_fraction": round(float((fired == 0).mean()), 4), "dead_eval_tokens": int(n),
                "dense_fraction_gt_10pct": round(float((fired / n > 0.1).mean()), 4)},
        "topics": det,
        "topics_with_precision_ge_0.8_recall_ge_0.5": n_good,
        "multilingual": {t: det[t]["french_recall"] for t in FRENCH},
        "steering": steer,
        "steering_topics_baseline_lt_5pct_clamp10x_ge_25pct": n_steer,
        "steering_topics_baseline_lt_5pct_clamp5x_ge_25pct": n_steer5,
        "steering_protocol": "20 prompts from other topics (first 12 tokens of held-out docs, <|endoftext|> "
                             "prepended), 40 new tokens each, temperature 0.8, seed per prompt; share = topic "
                             "words / all words in the continuations; clamp x' = x + (v - f_i(x)) W_dec[i] "
                             "at every position with v = mult * max_act_i",
        "targets": {"fraction_variance_explained": ">= 0.85", "loss_recovered": ">= 0.9", "dead_fraction": "<= 0.10",
                    "topics_with_precision_ge_0.8_recall_ge_0.5": ">= 10",
                    "steering_topics_baseline_lt_5pct_clamp10x_ge_25pct": ">= 8"},
        "eval_seconds": round(time.time() - t0),
    }
    with open(f"{a.model}/metrics.json", "w") as f:
        json.dump(m, f, indent=2, ensure_ascii=False)
    print(json.dumps({k: m[k] for k in ("model", "sae")}, indent=1))
    print("topics good", n_good, "steering good", n_steer, "(5x:", n_steer5, ")")


if __name__ == "__main__":
    main()
