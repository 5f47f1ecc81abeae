"""Trains a TopK SAE (with OpenAI's AuxK loss against dead latents) on one residual hook.

Activations are harvested once from random training windows (full n_ctx windows, all
positions, no BOS added), then the SAE is trained for --epochs passes over them in shuffled
batches. Loss = normalized MSE + aux_coef * normalized MSE of the error predicted by the
aux_k largest pre-activations among latents dead for > --dead-tokens tokens.
"""
import argparse
import json
import time

import numpy as np
import torch

import gpt2
import sae as sae_lib


@torch.no_grad()
def harvest(model, ids, hook, n_tokens, n_ctx, seed, bs=32):
    g = np.random.default_rng(seed)
    out, n = [], 0
    while n < n_tokens:
        starts = g.integers(0, len(ids) - n_ctx, size=bs)
        x = torch.from_numpy(np.stack([ids[s:s + n_ctx] for s in starts]).astype(np.int64))
        a = model(x, stop_at=hook)
        out.append(a.reshape(-1, a.shape[-1]).clone())
        n += a.shape[0] * a.shape[1]
    return torch.cat(out)[:n_tokens]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="tools/_build")
    ap.add_argument("--model", default="public/models/glassbox-mini")
    ap.add_argument("--hook", default="blocks.2.hook_resid_pre")
    ap.add_argument("--expansion", type=int, default=8)
    ap.add_argument("--k", type=int, default=32)
    ap.add_argument("--tokens", type=int, default=1_500_000)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=4096)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--aux-k", type=int, default=256)
    ap.add_argument("--aux-coef", type=float, default=1 / 32)
    ap.add_argument("--dead-tokens", type=int, default=500_000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(a.seed)
    model = gpt2.load(a.model)
    n_ctx = model.cfg["n_positions"]
    t0 = time.time()
    acts = harvest(model, np.load(f"{a.build}/train_ids.npy"), a.hook, a.tokens, n_ctx, a.seed + 1)
    print(f"harvested {acts.shape} in {time.time() - t0:.0f}s; mean norm {acts.norm(dim=1).mean():.2f}", flush=True)
    d_in = acts.shape[1]
    sae = sae_lib.TopKSAE(d_in, a.expansion * d_in, a.k)
    with torch.no_grad():
        sae.b_dec.copy_(acts[:200_000].median(dim=0).values)
    opt = torch.optim.Adam(sae.parameters(), lr=a.lr)
    since_fired = torch.zeros(sae.d_sae)
    steps_per_epoch = len(acts) // a.batch
    total = steps_per_epoch * a.epochs
    g = torch.Generator().manual_seed(a.seed)
    step = 0
    for ep in range(a.epochs):
        perm = torch.randperm(len(acts), generator=g)
        for b in range(steps_per_epoch):
            step += 1
            lr = a.lr * min(1.0, (total - step) / (0.2 * total))  # linear decay over the last 20%
            for grp in opt.param_groups:
                grp["lr"] = lr
            x = acts[perm[b * a.batch:(b + 1) * a.batch]]
            p = sae.pre_acts(x)
            v, i = p.topk(sae.k, dim=-1)
            f = torch.zeros_like(p).scatter(-1, i, v.relu())
            x_hat = sae.decode(f)
            var = (x - x.mean(0)).pow(2).sum(-1).mean()
            mse = (x_hat - x).pow(2).sum(-1).mean() / var
            fired = (f > 0).any(0)
            since_fired = torch.where(fired, torch.zeros_like(since_fired), since_fired + len(x))
            dead = since_fired > a.dead_tokens
            loss = mse
            aux = torch.tensor(0.0)
            if dead.any():
                e = (x - x_hat).detach()
                pd = p.masked_fill(~dead, float("-inf"))
                kk = min(a.aux_k, int(dead.sum()))
                va, ia = pd.topk(kk, dim=-1)
                e_hat = torch.zeros_like(p).scatter(-1, ia, va.relu()) @ sae.W_dec
                aux = (e_hat - e).pow(2).sum(-1).mean() / (e - e.mean(0)).pow(2).sum(-1).mean()
                loss = mse + a.aux_coef * aux
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sae.normalize_decoder()
            if step % 50 == 0 or step == total:
                print(f"step {step}/{total} fvu {mse.item():.4f} aux {aux.item():.3f} dead {int(dead.sum())} "
                      f"lr {lr:.1e} {time.time() - t0:.0f}s", flush=True)
    out = f"{a.model}/sae/{a.hook}"
    sae_lib.save(sae, out, a.hook, n_ctx)
    json.dump({"train_fvu": mse.item(), "steps": total, "tokens": len(acts), "epochs": a.epochs,
               "seconds": time.time() - t0}, open(f"{a.build}/train_sae.json", "w"), indent=2)
    print("saved", out)


if __name__ == "__main__":
    main()
