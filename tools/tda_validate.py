"""Validates the training-data attribution index written by tools/tda_index.py (issue 14).

Run from the repository root, after tda_index.py (CPU, 2 torch threads):

    /usr/bin/python3 tools/tda_validate.py exact   # (a) projected vs exact gradient dot products   ~6 min
    /usr/bin/python3 tools/tda_validate.py lko     # (b) approximate leave-k-out by short SGD fine-tunes ~8 min

Queries: 50 held-out documents (seeded pick from tools/_build/corpus/heldout.jsonl). Prompt = [3897] +
the document's first p tokens (p uniform in 12..40), completion = the model's own GREEDY continuation of
8 tokens. Query loss = SUM of CE over the 8 completion tokens (prompt positions not scored).

(a) exact: for a seeded random subset of the index (--n-exact docs, default 2000), full per-document
gradients of the 16 Conv1D weights (float32, never projected) dotted with each query's full gradient.
Compared with projected scores for Gaussian and PCA projections at several (k_in, k_out) (leading sub-blocks of
(16, 64) projections, recomputed here) and with the SHIPPED files (F16 unit * norm, query projected with the
shipped P's). Metrics per query, then mean/median/min/max over queries: Spearman(exact, projected) over the
100 docs with the largest EXACT score, and over the 100 with the largest |exact score|; Spearman and Pearson over
all --n-exact docs; top-10 overlap (exact top 10 vs projected top 10) for supporters and for opposers.
Results: tools/_build/tda/validate_exact.json (and printed).

(b) lko: for 20 queries: S = top-5 supporters + top-5 opposers (by the SHIPPED index scores over all
indexed docs) + 14 random indexed docs (|S| = 24). From the shipped model, plain SGD (lr 0.05, 2 full-batch
steps, all parameters) on loss = (1/|S|) * sum_{d in S'} doc_loss(d) for S' = S, S - supporters,
S - opposers, S - 5 random (control); then the query loss change. Removing supporters should leave the
query loss HIGHER than training on all of S; removing opposers should leave it LOWER.
Results: tools/_build/tda/validate_lko.json.
"""
import argparse
import copy
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import gpt2  # noqa: E402
import safetensors_io  # noqa: E402
from tda_index import (EOT, K_MAX_IN, K_MAX_OUT, Capture, doc_losses, doc_spans, linear_names, pca_projections,  # noqa: E402
                       projected_grads, projections, select_docs)

N_QUERIES, COMPLETION = 50, 8
SWEEP = [(4, 4), (8, 8), (16, 16), (1, 32), (1, 64), (2, 32), (2, 64), (4, 64), (16, 64)]


def make_queries(model, tok, build, seed=2024):
    docs = [json.loads(l) for l in open(f"{build}/corpus/heldout.jsonl", encoding="utf-8")]
    rng = np.random.default_rng(seed)
    out = []
    for di in rng.permutation(len(docs)):
        ids = tok.encode(docs[di]["text"])
        if len(ids) < 48:
            continue
        p = int(rng.integers(12, 41))
        seq = [EOT] + ids[:p]
        with torch.no_grad():
            for _ in range(COMPLETION):
                seq.append(int(model(torch.tensor([seq]))[0, -1].argmax()))
        out.append({"heldout_id": int(di), "prompt_len": p + 1, "ids": seq, "topic": docs[di]["topic"],
                    "lang": docs[di]["lang"], "prompt": tok.decode(seq[1:p + 1]), "completion": tok.decode(seq[p + 1:])})
        if len(out) == N_QUERIES:
            return out


def query_loss(model, q):
    idx = torch.tensor([q["ids"]])
    logits = model(idx)[0]
    n0 = q["prompt_len"]
    return F.cross_entropy(logits[n0 - 1:-1], idx[0, n0:], reduction="sum")


def query_grads(model, queries, P_list):
    """Full per-linear gradients (list over linears of (nq, in*out)) and projected vectors for each P in P_list."""
    names = linear_names(len(model.h))
    cap = Capture(model)
    full = [[] for _ in names]
    proj = [[] for _ in P_list]
    losses = []
    for q in queries:
        model.zero_grad(set_to_none=True)
        loss = query_loss(model, q)
        loss.backward()
        losses.append(loss.item())
        with torch.no_grad():
            for j in range(len(names)):
                full[j].append((cap.x[j][0].T @ cap.d[j][0]).reshape(-1))
            for pi, P in enumerate(P_list):
                v = []
                for j, n in enumerate(names):
                    v.append(((cap.x[j][0] @ P[n][0].T).T @ (cap.d[j][0] @ P[n][1].T)).reshape(-1))
                proj[pi].append(torch.cat(v).numpy())
    cap.remove()
    model.zero_grad(set_to_none=True)
    return [torch.stack(f) for f in full], [np.stack(p) for p in proj], np.array(losses)


def ranks(x):
    r = np.empty(len(x))
    r[np.argsort(x, kind="stable")] = np.arange(len(x))
    return r


def spearman(a, b):
    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def stats(v):
    v = np.asarray(v, float)
    return {"mean": round(float(v.mean()), 4), "median": round(float(np.median(v)), 4), "min": round(float(v.min()), 4),
            "max": round(float(v.max()), 4)}


def compare(exact, proj):
    """exact, proj: (n_docs, nq) scores. Per-query agreement metrics, summarised."""
    m = {"spearman_top100_by_exact_score": [], "spearman_top100_by_abs_exact": [], "spearman_all": [],
         "pearson_all": [], "top10_overlap_supporters": [], "top10_overlap_opposers": [],
         "sign_agreement_top100_abs": []}
    for qi in range(exact.shape[1]):
        e, p = exact[:, qi], proj[:, qi]
        top = np.argsort(-e)[:100]
        m["spearman_top100_by_exact_score"].append(spearman(e[top], p[top]))
        topa = np.argsort(-np.abs(e))[:100]
        m["spearman_top100_by_abs_exact"].append(spearman(e[topa], p[topa]))
        m["sign_agreement_top100_abs"].append(float((np.sign(e[topa]) == np.sign(p[topa])).mean()))
        m["spearman_all"].append(spearman(e, p))
        m["pearson_all"].append(float(np.corrcoef(e, p)[0, 1]))
        m["top10_overlap_supporters"].append(len(set(np.argsort(-e)[:10]) & set(np.argsort(-p)[:10])) / 10)
        m["top10_overlap_opposers"].append(len(set(np.argsort(e)[:10]) & set(np.argsort(p)[:10])) / 10)
    return {k: stats(v) for k, v in m.items()}


def load_setup(a):
    torch.set_num_threads(2)
    model = gpt2.load(a.model)
    index = json.load(open(f"{a.tda}/index.json"))
    tok = bpe.Tokenizer.from_hf_json(f"{a.model}/tokenizer.json")
    docs = [json.loads(l) for l in open(f"{a.tda}/docs.jsonl", encoding="utf-8")]
    ids = np.load(f"{a.build}/train_ids.npy")
    pos, ends = doc_spans(ids)
    toks = [ids[pos[d["id"]]:ends[d["id"]]].astype(np.int64) for d in docs]
    assert all(len(t) == d["n_tokens"] for t, d in zip(toks, docs))
    g = safetensors_io.load(f"{a.tda}/grads.safetensors")
    shipped = g["unit"].astype(np.float32) * g["norm"][:, None]
    pt = safetensors_io.load(f"{a.tda}/projections.safetensors")
    names = linear_names(len(model.h))
    P_ship = {n: (torch.from_numpy(pt[f"{n}.P_in_T"]).T.contiguous(), torch.from_numpy(pt[f"{n}.P_out_T"]).T.contiguous())
              for n in names}
    return model, index, tok, docs, toks, shipped, P_ship, names


def run_exact(a):
    t0 = time.time()
    model, index, tok, docs, toks, shipped, P_ship, names = load_setup(a)
    queries = make_queries(model, tok, a.build)
    # both projection families at (K_MAX_IN, K_MAX_OUT); smaller k = leading sub-blocks
    # (Gaussian rescaled by K_MAX/k per factor so that P = Z[:k] / sqrt(k), as tda_index.py makes it)
    Ps = {"gaussian": projections(model, K_MAX_IN, K_MAX_OUT, index["seed"])}
    _, pca_toks, _ = select_docs(a.build, index.get("pca_docs") or 512, index["seed"] + 1)
    Ps["pca"], _ = pca_projections(model, pca_toks, K_MAX_IN, K_MAX_OUT)
    full, qproj, qloss = query_grads(model, queries, list(Ps.values()) + [P_ship])
    t_q = time.time() - t0
    sub = np.sort(np.random.default_rng(7).permutation(len(docs))[:a.n_exact])
    exact = np.zeros((len(sub), len(queries)), np.float64)
    sub_toks = [toks[i] for i in sub]

    def on_batch(b, cap, xmask):
        for j in range(len(names)):
            gj = torch.einsum("bti,bto->bio", cap.x[j] * xmask[..., None], cap.d[j]).reshape(len(b), -1)
            exact[b] += (gj @ full[j].T).double().numpy()

    Gs, _ = projected_grads(model, sub_toks, list(Ps.values()), on_batch=on_batch)
    t_pass = time.time() - t0 - t_q
    res = {"n_queries": len(queries), "n_docs_exact": len(sub), "n_docs_index": len(docs),
           "query_loss_sum_ce": stats(qloss), "seconds_queries_and_pca": round(t_q, 1),
           "seconds_doc_pass": round(t_pass, 1)}
    nl = len(names)
    sliced = {}
    for (kind, G), qp in zip(zip(Ps, Gs), qproj):
        b16 = G.reshape(len(sub), nl, K_MAX_IN, K_MAX_OUT)
        q16b = qp.reshape(len(queries), nl, K_MAX_IN, K_MAX_OUT)
        for ki, ko in SWEEP:
            scale = (K_MAX_IN / ki) * (K_MAX_OUT / ko) if kind == "gaussian" else 1.0
            proj = np.einsum("dlij,qlij->dq", b16[:, :, :ki, :ko], q16b[:, :, :ki, :ko]) * scale
            sliced[kind, ki, ko] = proj
            key = f"{kind} k_in={ki} k_out={ko} (D={nl * ki * ko})"
            res[key] = compare(exact, proj)
            print(key, json.dumps(res[key]), flush=True)
    proj_ship = shipped[sub] @ qproj[-1].T
    ki, ko = index["k_in"], index["k_out"]
    res[f"SHIPPED ({index['projection_kind']}, k_in={ki}, k_out={ko}, F16 unit * norm)"] = compare(exact, proj_ship)
    ref = sliced[index["projection_kind"], ki, ko]
    res["shipped_vs_recomputed_f32_max_rel_err"] = float(np.abs(proj_ship - ref).max() / np.abs(ref).max())
    res["queries"] = [{k2: q[k2] for k2 in ("heldout_id", "topic", "lang", "prompt", "completion")} for q in queries]
    res["seconds_total"] = round(time.time() - t0, 1)
    os.makedirs(a.out, exist_ok=True)
    json.dump(res, open(f"{a.out}/validate_exact.json", "w"), indent=1, ensure_ascii=False)
    print(json.dumps({k2: v for k2, v in res.items() if k2 != "queries"}, indent=1))


def sgd_query_delta(model, q, seqs, n_total, lr, steps):
    m = copy.deepcopy(model)
    with torch.no_grad():
        before = query_loss(m, q).item()
    for _ in range(steps):
        m.zero_grad(set_to_none=True)
        # doc_losses backprops sum of per-doc mean losses; scale by 1/|S| via the lr
        doc_losses(m, seqs)
        with torch.no_grad():
            for p in m.parameters():
                p -= (lr / n_total) * p.grad
    with torch.no_grad():
        return query_loss(m, q).item() - before


def run_lko(a):
    t0 = time.time()
    model, index, tok, docs, toks, shipped, P_ship, names = load_setup(a)
    queries = make_queries(model, tok, a.build)[:a.n_lko]
    _, (qship,), _ = query_grads(model, queries, [P_ship])
    rng = np.random.default_rng(11)
    k, n_rand = a.k_remove, a.s_size - 2 * a.k_remove
    rows = []
    for qi, q in enumerate(queries):
        s = shipped @ qship[qi]
        order = np.argsort(-s)
        sup, opp = list(order[:k]), list(order[::-1][:k])
        rest = rng.permutation(np.setdiff1d(np.arange(len(docs)), sup + opp))[:n_rand]
        S = sup + opp + list(rest)
        ctrl = set(rest[:k])
        variants = {"all": S, "minus_supporters": [d for d in S if d not in sup],
                    "minus_opposers": [d for d in S if d not in opp], "minus_random": [d for d in S if d not in ctrl]}
        d = {v: sgd_query_delta(model, q, [toks[i] for i in ids], len(S), a.lr, a.steps) for v, ids in variants.items()}
        row = {"query": qi, "completion": q["completion"], **{f"dloss_{v}": round(x, 6) for v, x in d.items()},
               "pred_score_sum_supporters": float(s[sup].sum()), "pred_score_sum_opposers": float(s[opp].sum()),
               "pred_score_sum_random": float(s[list(ctrl)].sum())}
        rows.append(row)
        print(json.dumps(row), f"{time.time() - t0:.0f}s", flush=True)
    dsup = np.array([r["dloss_minus_supporters"] - r["dloss_all"] for r in rows])
    dopp = np.array([r["dloss_minus_opposers"] - r["dloss_all"] for r in rows])
    drnd = np.array([r["dloss_minus_random"] - r["dloss_all"] for r in rows])
    # first-order prediction of (loss after training without R) - (loss after training with all of S): +lr*steps/|S| * sum_R score
    c = a.lr * a.steps / a.s_size
    pred = np.concatenate([c * np.array([r[f"pred_score_sum_{x}"] for r in rows]) for x in ("supporters", "opposers", "random")])
    act = np.concatenate([dsup, dopp, drnd])
    res = {"n_queries": len(rows), "k_removed": k, "S_size": a.s_size, "lr": a.lr, "steps": a.steps,
           "removing_supporters_raises_query_loss": f"{int((dsup > 0).sum())}/{len(rows)}",
           "removing_opposers_lowers_query_loss": f"{int((dopp < 0).sum())}/{len(rows)}",
           "removing_random_raises_query_loss": f"{int((drnd > 0).sum())}/{len(rows)}",
           "effect_minus_supporters": stats(dsup), "effect_minus_opposers": stats(dopp), "effect_minus_random": stats(drnd),
           "pearson_first_order_prediction_vs_actual": float(np.corrcoef(pred, act)[0, 1]),
           "spearman_first_order_prediction_vs_actual": spearman(pred, act),
           "rows": rows, "seconds": round(time.time() - t0, 1)}
    json.dump(res, open(f"{a.out}/validate_lko.json", "w"), indent=1, ensure_ascii=False)
    print(json.dumps({k2: v for k2, v in res.items() if k2 != "rows"}, indent=1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["exact", "lko"])
    ap.add_argument("--build", default="tools/_build")
    ap.add_argument("--model", default="public/models/glassbox-mini")
    ap.add_argument("--tda", default="public/models/glassbox-mini/tda")
    ap.add_argument("--out", default="tools/_build/tda")
    ap.add_argument("--n-exact", type=int, default=2000)
    ap.add_argument("--n-lko", type=int, default=20)
    ap.add_argument("--k-remove", type=int, default=5)
    ap.add_argument("--s-size", type=int, default=24)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--steps", type=int, default=2)
    a = ap.parse_args()
    run_exact(a) if a.what == "exact" else run_lko(a)


if __name__ == "__main__":
    main()
