"""Trains the GPT-2 model on the encoded corpus and writes config.json + model.safetensors.

Random windows of n_ctx tokens from the concatenated training stream (documents separated by
<|endoftext|>), AdamW, linear warmup then cosine decay, fixed seed -> deterministic on a given
machine. Checkpoints go to --ckpt every --save-every steps so later stages can be tested early.
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

import gpt2


def batches(ids, n_ctx, bs, seed):
    g = np.random.default_rng(seed)
    while True:
        starts = g.integers(0, len(ids) - n_ctx - 1, size=bs)
        x = np.stack([ids[s:s + n_ctx + 1] for s in starts]).astype(np.int64)
        yield torch.from_numpy(x[:, :-1]), torch.from_numpy(x[:, 1:])


@torch.no_grad()
def heldout_loss(model, ids, n_ctx, n_windows=64, bs=16):
    """Mean next-token CE over fixed, non-overlapping held-out windows."""
    model.eval()
    tot = 0.0
    for i in range(0, n_windows, bs):
        x = np.stack([ids[(i + j) * n_ctx:(i + j + 1) * n_ctx + 1] for j in range(bs)]).astype(np.int64)
        x = torch.from_numpy(x)
        logits = model(x[:, :-1])
        tot += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1)).item() * bs
    model.train()
    return tot / n_windows


def write(model, cfg, out):
    os.makedirs(out, exist_ok=True)
    with open(f"{out}/config.json", "w") as f:
        json.dump(cfg, f, indent=2)
    gpt2.save(model, f"{out}/model.safetensors")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="tools/_build")
    ap.add_argument("--out", default="public/models/glassbox-mini")
    ap.add_argument("--ckpt", default="tools/_build/ckpt")
    ap.add_argument("--n-embd", type=int, default=256)
    ap.add_argument("--n-layer", type=int, default=4)
    ap.add_argument("--n-head", type=int, default=8)
    ap.add_argument("--n-ctx", type=int, default=256)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--save-every", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(a.seed)
    tok = json.load(open(f"{a.out}/tokenizer.json", encoding="utf-8"))
    vocab = len(tok["model"]["vocab"]) + len(tok["added_tokens"])
    eot = tok["added_tokens"][0]["id"]
    cfg = gpt2.hf_config(vocab, a.n_ctx, a.n_embd, a.n_layer, a.n_head, eot)
    model = gpt2.GPT2(cfg)
    train_ids = np.load(f"{a.build}/train_ids.npy")
    held_ids = np.load(f"{a.build}/heldout_ids.npy")
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.95))
    data = batches(train_ids, a.n_ctx, a.batch, a.seed)
    t0 = time.time()
    for step in range(1, a.steps + 1):
        lr = a.lr * min(1.0, step / a.warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / a.steps)))
        for grp in opt.param_groups:
            grp["lr"] = lr
        x, y = next(data)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 10 == 0:
            el = time.time() - t0
            print(f"step {step} loss {loss.item():.4f} lr {lr:.2e} {step * a.batch * a.n_ctx / el:.0f} tok/s "
                  f"elapsed {el:.0f}s", flush=True)
        if step % a.save_every == 0 or step == a.steps:
            print(f"step {step} heldout_loss {heldout_loss(model, held_ids, a.n_ctx):.4f}", flush=True)
            write(model, cfg, a.ckpt)
    write(model, cfg, a.out)
    hl = heldout_loss(model, held_ids, a.n_ctx, n_windows=256)
    json.dump({"heldout_loss": hl, "steps": a.steps, "tokens_seen": a.steps * a.batch * a.n_ctx,
               "train_seconds": time.time() - t0}, open(f"{a.build}/train_model.json", "w"), indent=2)
    print("final heldout_loss", hl)


if __name__ == "__main__":
    main()
