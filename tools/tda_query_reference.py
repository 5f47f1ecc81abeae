#!/usr/bin/python3
"""Reference projected query gradients for the in-browser training-data attribution (issue 14).

For a few queries on the bundled model (ids from tests/fixtures/glassbox-mini.json's prompts with
3897 in front; the completion is each prompt's last 2 tokens), torch autograd gives the FULL
gradient of the completion's summed next-token cross-entropy w.r.t. the 16 Conv1D weights; each is
then projected as P_in_T^T @ dW @ P_out_T (k_in=3, k_out=6, seeded Gaussian matrices written here)
and concatenated in the index's order. The app computes the same vector another way (per-token
projections of the backward's rows, src/influence/query_gradient.ts); tests/gpu/influence.test.ts
compares the two.

    /usr/bin/python3 tools/tda_query_reference.py   # tests/fixtures/glassbox-mini.tda_reference.safetensors
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpt2  # noqa: E402
import safetensors_io  # noqa: E402

torch.set_num_threads(2)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
K_IN, K_OUT, SEED = 3, 6, 7  # not multiples of 4: the browser pads them
KINDS = ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"]


def main():
    model = gpt2.load(f"{ROOT}/public/models/glassbox-mini")
    params = dict(model.named_parameters())
    names = [f"h.{l}.{k}.weight" for l in range(model.cfg["n_layer"]) for k in KINDS]
    rng = np.random.default_rng(SEED)
    out = {}
    for n in names:
        i, o = params[n].shape
        out[f"{n}.P_in_T"] = (rng.standard_normal((i, K_IN)) / np.sqrt(K_IN)).astype(np.float32)
        out[f"{n}.P_out_T"] = (rng.standard_normal((o, K_OUT)) / np.sqrt(K_OUT)).astype(np.float32)
    with open(f"{ROOT}/tests/fixtures/glassbox-mini.json") as f:
        prompts = json.load(f)["prompts"][:2]
    meta = {"k_in": str(K_IN), "k_out": str(K_OUT), "linears": json.dumps(names), "queries": str(len(prompts))}
    for qi, p in enumerate(prompts):
        ids = [3897] + p["input_ids"]
        start = len(ids) - 2
        x = torch.tensor([ids])
        logits = model(x)[0].double()
        loss = F.cross_entropy(logits[start - 1:-1], x[0, start:], reduction="sum")
        grads = torch.autograd.grad(loss, [params[n] for n in names])
        q = np.concatenate([(out[f"{n}.P_in_T"].astype(np.float64).T @ g.double().numpy() @ out[f"{n}.P_out_T"].astype(np.float64)).ravel()
                            for n, g in zip(names, grads)])
        out[f"query{qi}.ids"] = np.array(ids, dtype=np.int32)
        out[f"query{qi}.q"] = q.astype(np.float32)
        meta[f"query{qi}.start"] = str(start)
        meta[f"query{qi}.loss"] = repr(float(loss))
        print(f"query {qi}: {len(ids)} tokens, completion from {start}, loss {float(loss):.4f}, |q| {np.linalg.norm(q):.4g}")
    path = f"{ROOT}/tests/fixtures/glassbox-mini.tda_reference.safetensors"
    safetensors_io.save(path, out, metadata=meta)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
