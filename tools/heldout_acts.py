"""SAE activations over the held-out split, shared by features.py and evaluate.py.

The held-out stream is cut into consecutive n_ctx windows (no BOS added; documents are
separated by <|endoftext|> inside the stream). For the first --tokens tokens we keep, per
token, the top-k SAE latents (idx int16, val float32) plus running sums for the fraction of
variance explained. Cached in tools/_build/heldout_acts.npz.
"""
import os

import numpy as np
import torch

N_TOKENS = int(os.environ.get("GB_HELDOUT_TOKENS", 1 << 20))  # 1,048,576 = 4096 windows of 256 (env: tests only)


@torch.no_grad()
def compute(model, sae, ids, hook, n_tokens=N_TOKENS, bs=32):
    n_ctx = model.cfg["n_positions"]
    n_win = n_tokens // n_ctx
    idx = np.zeros((n_win * n_ctx, sae.k), np.int16)
    val = np.zeros((n_win * n_ctx, sae.k), np.float32)
    sse, sx, sxx, n = 0.0, torch.zeros(sae.d_in, dtype=torch.float64), 0.0, 0
    for w in range(0, n_win, bs):
        nb = min(bs, n_win - w)
        x = torch.from_numpy(ids[w * n_ctx:(w + nb) * n_ctx].astype(np.int64)).view(nb, n_ctx)
        a = model(x, stop_at=hook).reshape(-1, sae.d_in)
        p = sae.pre_acts(a)
        v, i = p.topk(sae.k, dim=-1)
        v = v.relu()
        f = torch.zeros_like(p).scatter(-1, i, v)
        sse += (sae.decode(f) - a).pow(2).sum().item()
        sx += a.double().sum(0)
        sxx += a.double().pow(2).sum().item()
        n += a.shape[0]
        # Order each token's latents by value so slot 0 is the strongest.
        order = v.argsort(dim=-1, descending=True)
        idx[w * n_ctx:(w + nb) * n_ctx] = i.gather(-1, order).numpy()
        val[w * n_ctx:(w + nb) * n_ctx] = v.gather(-1, order).numpy()
    var_total = sxx - (sx.pow(2).sum().item() / n)
    return {"idx": idx, "val": val, "fve": 1.0 - sse / var_total, "n_tokens": n}


def get(model, sae, ids, hook, cache):
    if os.path.exists(cache):
        z = np.load(cache)
        return {"idx": z["idx"], "val": z["val"], "fve": float(z["fve"]), "n_tokens": int(z["n_tokens"])}
    r = compute(model, sae, ids, hook)
    np.savez(cache, **r)
    return r
