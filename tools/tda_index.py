"""Training-data attribution index for glassbox-mini (issue 14): LoGra-projected per-document gradients.

Run from the repository root (CPU, torch 2 threads; ~10-15 min for 10k docs on the shared 2-core dev box):

    /usr/bin/python3 tools/tda_index.py          # shipped: 10,000 docs, PCA projections, k_in = 1, k_out = 64
    /usr/bin/python3 tools/tda_index.py --n-docs 2000 --kind gaussian --k-in 8 --k-out 8 --out /tmp/tda

Writes into --out (default public/models/glassbox-mini/tda/):
  index.json               format description (see tools/NOTES.md, "Training-data attribution (issue 14)")
  projections.safetensors  per linear <name>.P_in_T F32 (in, k_in), <name>.P_out_T F32 (out, k_out)
  grads.safetensors        unit F16 (n_docs, D) = projected gradient / its L2 norm, norm F32 (n_docs)
  docs.jsonl               one line per indexed doc: id (line in train.jsonl), text, topic, lang, n_tokens, loss

Documents: train_model.py samples random 256-token windows (numpy default_rng(seed 0), 640 steps x 16)
from the stream `<|endoftext|> doc <|endoftext|> doc ...` (tools/_build/train_ids.npy). We replay those
exact window starts and keep only documents whose every next-token target was inside at least one
training window ("fully seen"; 18,003 of 120,000), then take a seeded random sample of them.
A document's token sequence is [3897] + encode(text) (every doc is <= 218 tokens, so nothing is
truncated; max_tokens 256 is enforced anyway). Its loss is the MEAN next-token cross-entropy over the
n_tokens - 1 predictions (the first target is the doc's first text token, predicted from 3897).

Gradient: w.r.t. the 16 Conv1D weights h.{l}.{attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj}.weight
(stored (in, out), y = x W + b, so dL/dW = sum_t x_t^T delta_t). LoGra projection per linear:
G~ = sum_t (P_in x_t)(P_out delta_t)^T, a (k_in, k_out) block, flattened row-major and concatenated in
the order above. Per-doc sums come from one batched backward (hooks keep x_t and delta_t; pads masked).
P: --kind pca (default; LoGra's PCA init, top eigenvectors of the x and delta second-moment matrices over
512 other training docs) or --kind gaussian (N(0, 1/k) entries, seeded). tda_validate.py measured PCA with
(k_in, k_out) = (1, 64) to be far closer to exact scores than Gaussian k_in = k_out = 8 at the same D = 1024.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpt2  # noqa: E402
import safetensors_io  # noqa: E402

EOT = 3897
MAX_TOKENS = 256
K_MAX_IN, K_MAX_OUT = 16, 64  # largest k_in / k_out the Gaussian seeding (and the validation sweep) supports
LIN_KINDS = ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"]


def linear_names(n_layer=4):
    return [f"h.{l}.{k}.weight" for l in range(n_layer) for k in LIN_KINDS]


def linear_modules(model):
    mods = []
    for b in model.h:
        mods += [b.attn.c_attn, b.attn.c_proj, b.mlp.c_fc, b.mlp.c_proj]
    return mods


def doc_spans(ids):
    """(start, end) of every document in the stream, start = position of its leading <|endoftext|>."""
    pos = np.flatnonzero(ids == EOT)
    return pos, np.append(pos[1:], len(ids))


def fully_seen_docs(ids, n_ctx=256, batch=16, steps=640, seed=0):
    """Indices of docs all of whose next-token targets fell inside some training window (replays train_model.batches)."""
    n = len(ids)
    g = np.random.default_rng(seed)
    cov = np.zeros(n + 1, np.int64)
    for _ in range(steps):
        st = g.integers(0, n - n_ctx - 1, size=batch)
        np.add.at(cov, st + 1, 1)  # targets of window s are tokens s+1 .. s+n_ctx
        np.add.at(cov, st + n_ctx + 1, -1)
    seen = np.concatenate([[0], np.cumsum(np.cumsum(cov)[:n] > 0)])
    pos, ends = doc_spans(ids)
    e = np.minimum(ends, pos + MAX_TOKENS)
    frac = (seen[e] - seen[pos + 1]) / (e - pos - 1)
    return np.flatnonzero(frac == 1.0)


def select_docs(build, n_docs, seed):
    """Returns (doc indices sorted ascending, list of token arrays, number of fully-seen candidates)."""
    ids = np.load(f"{build}/train_ids.npy")
    cand = fully_seen_docs(ids)
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.permutation(cand)[:n_docs])
    pos, ends = doc_spans(ids)
    toks = [ids[pos[i]:min(ends[i], pos[i] + MAX_TOKENS)].astype(np.int64) for i in pick]
    return pick, toks, len(cand)


def projections(model, k_in, k_out, seed):
    """{name: (P_in (k_in, in), P_out (k_out, out))} float32 torch tensors."""
    out = {}
    for j, (name, m) in enumerate(zip(linear_names(len(model.h)), linear_modules(model))):
        n_in, n_out = m.weight.shape
        z_in = np.random.default_rng([seed, j, 0]).standard_normal((K_MAX_IN, n_in))
        z_out = np.random.default_rng([seed, j, 1]).standard_normal((K_MAX_OUT, n_out))
        out[name] = (torch.from_numpy((z_in[:k_in] / np.sqrt(k_in)).astype(np.float32)),
                     torch.from_numpy((z_out[:k_out] / np.sqrt(k_out)).astype(np.float32)))
    return out


class Capture:
    """Forward hooks keep each linear's input x (B, T, in); tensor hooks keep delta = dL/dy (B, T, out)."""

    def __init__(self, model):
        self.mods = linear_modules(model)
        self.x, self.d = [None] * len(self.mods), [None] * len(self.mods)
        self.handles = [m.register_forward_hook(self._fwd(j)) for j, m in enumerate(self.mods)]

    def _fwd(self, j):
        def f(mod, inp, out):
            self.x[j] = inp[0].detach()

            def g(grad):
                self.d[j] = grad.detach()
            out.register_hook(g)
        return f

    def remove(self):
        for h in self.handles:
            h.remove()


def pad_batch(seqs):
    T = max(len(s) for s in seqs)
    idx = torch.full((len(seqs), T), EOT, dtype=torch.long)
    for i, s in enumerate(seqs):
        idx[i, :len(s)] = torch.as_tensor(s)
    return idx


def doc_losses(model, seqs):
    """Forward+backward of sum over docs of MEAN next-token CE. Returns (per-doc losses (B,), valid-token mask (B, T))."""
    idx = pad_batch(seqs)
    B, T = idx.shape
    n = torch.tensor([len(s) for s in seqs])
    logits = model(idx)
    ce = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), idx[:, 1:].reshape(-1),
                         reduction="none").view(B, T - 1)
    tmask = (torch.arange(T - 1)[None] < (n - 1)[:, None]).float()  # target t+1 exists in the doc
    loss = (ce * tmask).sum(1) / (n - 1).float()
    loss.sum().backward()
    xmask = (torch.arange(T)[None] < n[:, None]).float()  # real (non-pad) positions
    return loss.detach(), xmask


def batches_by_length(toks, max_tokens_per_batch=4096):
    """Index batches of similar-length docs (less padding)."""
    order = np.argsort([len(t) for t in toks], kind="stable")
    out, cur, cur_max = [], [], 0
    for i in order:
        L = len(toks[i])
        if cur and max(cur_max, L) * (len(cur) + 1) > max_tokens_per_batch:
            out.append(cur)
            cur, cur_max = [], 0
        cur.append(i)
        cur_max = max(cur_max, L)
    if cur:
        out.append(cur)
    return out


def projected_grads(model, toks, Ps, on_batch=None, log_every=20):
    """For each projection dict in Ps: (n_docs, D) float32 projected gradients; plus (n_docs,) losses.

    on_batch(batch_indices, capture, xmask) is called after each backward, for extra work (exact scores).
    """
    names = linear_names(len(model.h))
    Gs = [np.zeros((len(toks), sum(P[n][0].shape[0] * P[n][1].shape[0] for n in names)), np.float32) for P in Ps]
    losses = np.zeros(len(toks), np.float32)
    cap = Capture(model)
    bl = batches_by_length(toks)
    t0 = time.time()
    for bi, b in enumerate(bl):
        model.zero_grad(set_to_none=True)
        loss, xmask = doc_losses(model, [toks[i] for i in b])
        losses[b] = loss.numpy()
        with torch.no_grad():
            for P, G in zip(Ps, Gs):
                off = 0
                for j, n in enumerate(names):
                    p_in, p_out = P[n]
                    xp = (cap.x[j] * xmask[..., None]) @ p_in.T   # (B, T, k_in)
                    dp = cap.d[j] @ p_out.T                          # (B, T, k_out)
                    g = torch.einsum("bti,bto->bio", xp, dp).reshape(len(b), -1)
                    G[b, off:off + g.shape[1]] = g.numpy()
                    off += g.shape[1]
            if on_batch is not None:
                on_batch(b, cap, xmask)
        if log_every and (bi % log_every == 0 or bi == len(bl) - 1):
            print(f"  batch {bi + 1}/{len(bl)} docs {sum(len(x) for x in bl[:bi + 1])} {time.time() - t0:.0f}s", flush=True)
    cap.remove()
    model.zero_grad(set_to_none=True)
    return Gs, losses


def pca_projections(model, toks, k_in, k_out):
    """LoGra's PCA initialisation: rows of P_in = top-k_in eigenvectors of sum_t x_t x_t^T, P_out likewise for
    delta_t, over the docs in toks (all positions of [3897] + doc, doc loss = mean CE). Rows by eigenvalue, descending."""
    names = linear_names(len(model.h))
    cin = [None] * len(names)
    cout = [None] * len(names)

    def acc(b, cap, xmask):
        for j in range(len(names)):
            x = (cap.x[j] * xmask[..., None]).reshape(-1, cap.x[j].shape[-1]).double()
            d = cap.d[j].reshape(-1, cap.d[j].shape[-1]).double()
            cin[j] = x.T @ x if cin[j] is None else cin[j] + x.T @ x
            cout[j] = d.T @ d if cout[j] is None else cout[j] + d.T @ d

    projected_grads(model, toks, [], on_batch=acc, log_every=0)
    out, spectra = {}, {}
    for j, n in enumerate(names):
        ps = []
        for c, k in ((cin[j], k_in), (cout[j], k_out)):
            w, v = torch.linalg.eigh(c)
            w, v = w.flip(0), v.flip(1)
            ps.append(v[:, :k].T.float().contiguous())
            spectra.setdefault(n, []).append(float(w[:k].sum() / w.sum()))
        out[n] = tuple(ps)
    return out, spectra


def add_reference_query(model_dir, out, prompt="Once upon a time, there was a sailor named", n_new=8):
    """Appends a worked example to index.json so the browser side can test itself against it: a prompt (with 3897
    prepended), the model's greedy 8-token completion, the query loss, its projected gradient and top docs."""
    import bpe
    from tda_validate import query_grads  # local import: tda_validate imports this module
    model = gpt2.load(model_dir)
    tok = bpe.Tokenizer.from_hf_json(f"{model_dir}/tokenizer.json")
    index = json.load(open(f"{out}/index.json"))
    pt = safetensors_io.load(f"{out}/{index['projections_file']}")
    P = {n: (torch.from_numpy(pt[f"{n}.P_in_T"]).T.contiguous(), torch.from_numpy(pt[f"{n}.P_out_T"]).T.contiguous())
         for n in linear_names(len(model.h))}
    ids = [EOT] + tok.encode(prompt)
    n0 = len(ids)
    with torch.no_grad():
        for _ in range(n_new):
            ids.append(int(model(torch.tensor([ids]))[0, -1].argmax()))
    _, (gq,), loss = query_grads(model, [{"ids": ids, "prompt_len": n0}], [P])
    g = safetensors_io.load(f"{out}/{index['grads_file']}")
    score = g["norm"] * (g["unit"].astype(np.float32) @ gq[0])
    order = np.argsort(-score)
    index["reference_query"] = {
        "prompt": prompt, "completion": tok.decode(ids[n0:]), "ids": ids, "prompt_len": n0,
        "note": "ids = [3897] + encode(prompt) + greedy completion; loss = sum CE of ids[prompt_len:]; "
                "g_proj = projected query gradient (dims); scores = norm * (unit @ g_proj)",
        "loss": round(float(loss[0]), 6), "g_proj_norm": float(np.linalg.norm(gq[0])),
        "g_proj": [float(f"{v:.6g}") for v in gq[0]],
        "top_supporters": [{"doc": int(i), "score": round(float(score[i]), 5)} for i in order[:5]],
        "top_opposers": [{"doc": int(i), "score": round(float(score[i]), 5)} for i in order[::-1][:5]],
    }
    with open(f"{out}/index.json", "w") as f:
        json.dump(index, f, indent=1)
    print("reference query:", prompt, "->", repr(index["reference_query"]["completion"]), "loss", loss[0],
          "top supporters", index["reference_query"]["top_supporters"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="tools/_build")
    ap.add_argument("--model", default="public/models/glassbox-mini")
    ap.add_argument("--out", default="public/models/glassbox-mini/tda")
    ap.add_argument("--n-docs", type=int, default=10000)
    ap.add_argument("--kind", choices=["pca", "gaussian"], default="pca")
    ap.add_argument("--k-in", type=int, default=1)
    ap.add_argument("--k-out", type=int, default=64)
    ap.add_argument("--pca-docs", type=int, default=512, help="docs for the PCA covariances (seed + 1 sample)")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--reference-only", action="store_true", help="only (re)compute index.json's reference_query")
    a = ap.parse_args()
    torch.set_num_threads(2)
    if a.reference_only:
        return add_reference_query(a.model, a.out)
    t0 = time.time()
    model = gpt2.load(a.model)
    names = linear_names(len(model.h))
    pick, toks, n_cand = select_docs(a.build, a.n_docs, a.seed)
    print(f"{n_cand} fully-seen docs, indexing {len(pick)} ({sum(len(t) for t in toks)} tokens), "
          f"{a.kind} k_in={a.k_in} k_out={a.k_out}", flush=True)
    spectra = None
    if a.kind == "pca":
        _, pca_toks, _ = select_docs(a.build, a.pca_docs, a.seed + 1)
        P, spectra = pca_projections(model, pca_toks, a.k_in, a.k_out)
    else:
        P = projections(model, a.k_in, a.k_out, a.seed)
    t_pca = time.time() - t0
    print(f"projections ready {t_pca:.0f}s", flush=True)
    (G,), losses = projected_grads(model, toks, [P])
    t_grad = time.time() - t0 - t_pca

    norm = np.linalg.norm(G.astype(np.float64), axis=1)
    unit32 = G / np.maximum(norm, 1e-30)[:, None]
    unit = unit32.astype(np.float16)
    err = np.abs(unit.astype(np.float32) - unit32).max()
    dot_err = np.abs((unit.astype(np.float32) * unit32).sum(1) - 1).max()
    f16_note = (f"norm range {norm.min():.3g}..{norm.max():.3g}; max |unit| {np.abs(unit).max():.3g}; "
                f"entries below f16 normal range (6.1e-5): {(np.abs(unit32) < 6.1e-5).mean():.2%}; "
                f"zeros {(unit == 0).sum()}; max abs rounding err {err:.2g}; max |<unit16, unit32> - 1| {dot_err:.2g}")
    print(f16_note)
    assert np.isfinite(unit.astype(np.float32)).all() and np.isfinite(norm).all() and norm.min() > 0

    os.makedirs(a.out, exist_ok=True)
    safetensors_io.save(f"{a.out}/projections.safetensors",
                        {f"{n}.{s}": (P[n][0] if s == "P_in_T" else P[n][1]).T.contiguous().numpy()
                         for n in names for s in ("P_in_T", "P_out_T")},
                        metadata={"format": "glassbox-tda-v1", "kind": a.kind, "k_in": a.k_in, "k_out": a.k_out})
    safetensors_io.save(f"{a.out}/grads.safetensors", {"unit": unit, "norm": norm.astype(np.float32)},
                        metadata={"format": "glassbox-tda-v1", "n_docs": len(pick), "dims": G.shape[1]})
    corpus = open(f"{a.build}/corpus/train.jsonl", encoding="utf-8").readlines()
    with open(f"{a.out}/docs.jsonl", "w", encoding="utf-8") as f:
        for i, di in enumerate(pick):
            d = json.loads(corpus[di])
            f.write(json.dumps({"id": int(di), "text": d["text"], "topic": d["topic"], "lang": d["lang"],
                                "n_tokens": len(toks[i]), "loss": round(float(losses[i]), 4)},
                               ensure_ascii=False) + "\n")
    linears, off = [], 0
    for n, m in zip(names, linear_modules(model)):
        linears.append({"name": n, "in": m.weight.shape[0], "out": m.weight.shape[1], "offset": off,
                        "k_in": a.k_in, "k_out": a.k_out})
        off += a.k_in * a.k_out
    if a.kind == "pca":
        pdesc = (f"PCA (LoGra's PCA initialisation): P_in rows = top-k_in eigenvectors of sum_t x_t x_t^T, P_out rows = "
                 f"top-k_out eigenvectors of sum_t delta_t delta_t^T, over all positions of {a.pca_docs} other fully-seen "
                 f"training docs (sample seed {a.seed + 1}), delta from the mean-CE doc loss; rows orthonormal, by eigenvalue")
    else:
        pdesc = ("Gaussian: P_in = Z_in[:k_in]/sqrt(k_in), Z_in = numpy default_rng([seed, j, 0]).standard_normal((16, in)); "
                 "P_out = Z_out[:k_out]/sqrt(k_out), Z_out from [seed, j, 1], shape (64, out); j = linear index")
    index = {
        "format": "glassbox-tda-v1",
        "model": "glassbox-mini",
        "method": "LoGra-style (Choe et al. 2024): per-linear Kronecker projection of per-document gradients of the "
                  "16 Conv1D weight matrices, no optimizer/Hessian preconditioning (plain gradient dot product)",
        "loss": "mean next-token cross-entropy",
        "doc_loss": "mean over the n_tokens-1 next-token predictions of the doc's token sequence",
        "query_loss": "SUM of next-token cross-entropy over the completion tokens only, given the prompt "
                      "(prompt positions not scored, but every position's x_t and delta_t enter the gradient)",
        "score": "score(q, d) = <g_q, g_d> ~= norm[d] * dot(unit[d], g~_q), g = gradient of the LOSS, g~ = its projection. "
                 "Positive: a gradient-descent step on d lowers the query loss (d supports the completion); "
                 "negative: d opposes it. cosine = dot(unit[d], g~_q) / |g~_q|.",
        "n_docs": len(pick),
        "dims": G.shape[1],
        "k_in": a.k_in, "k_out": a.k_out,
        "projection_kind": a.kind,
        "projection_desc": pdesc,
        "linears": linears,
        "projection": "for each linear, with x_t (length in) its input row and delta_t = dLoss/dy_t (length out) at "
                      "position t: block = sum_t outer(x_t @ P_in_T, delta_t @ P_out_T), shape (k_in, k_out), "
                      "flattened row-major, written at `offset` in the dims-vector",
        "weights_layout": "Conv1D weight (in, out), y = x @ W + b; biases, LayerNorms and embeddings are not included",
        "tokenisation": {"prepend_bos": True, "bos_id": EOT, "max_tokens": MAX_TOKENS,
                         "note": "doc tokens = [3897] + tokenizer.encode(text), nothing else added, at most 256 "
                                 f"(no indexed doc needed truncation; the longest has {max(len(t) for t in toks)}); "
                                 "docs.jsonl n_tokens counts the 3897. Queries: prepend 3897 to the prompt too."},
        "selection": f"seeded (seed {a.seed}) random sample of the {n_cand} train.jsonl documents whose every target "
                     "token lay inside one of the 10,240 windows train_model.py actually sampled (seed 0, 640 x 16 x 256)",
        "seed": a.seed,
        "pca_docs": a.pca_docs if a.kind == "pca" else None,
        "docs_file": "docs.jsonl",
        "docs_fields": {"id": "line index in tools/_build/corpus/train.jsonl (= doc order in train_ids.npy)",
                        "text": "document text exactly as trained on", "topic": "corpus topic", "lang": "en|fr|code",
                        "n_tokens": "length of [3897] + encode(text)", "loss": "doc loss (mean CE) under the shipped model"},
        "grads_file": "grads.safetensors",
        "grads_tensors": {"unit": "F16 (n_docs, dims): projected gradient / its L2 norm",
                          "norm": "F32 (n_docs): L2 norm of the projected gradient"},
        "projections_file": "projections.safetensors",
        "projections_tensors": "<linear name>.P_in_T F32 (in, k_in), <linear name>.P_out_T F32 (out, k_out)",
        "f16_check": f16_note,
        "pca_energy_captured": spectra,
        "validation": "tools/NOTES.md, section Training-data attribution (issue 14)",
    }
    with open(f"{a.out}/index.json", "w") as f:
        json.dump(index, f, indent=1)
    print(f"wrote {a.out}: {len(pick)} docs, D={G.shape[1]}, projections {t_pca:.0f}s, gradient pass {t_grad:.0f}s, "
          f"total {time.time() - t0:.0f}s")
    add_reference_query(a.model, a.out)


if __name__ == "__main__":
    main()
