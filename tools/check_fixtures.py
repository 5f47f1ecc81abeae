"""Independent numpy re-implementation of the shipped model + SAE (no torch, no tools/gpt2.py),
checked against tests/fixtures/glassbox-mini.safetensors. Also checks that clamping a feature to
its own current value changes nothing.
    /usr/bin/python3 tools/check_fixtures.py [model_dir] [fixture_prefix]
"""
import json
import math
import sys

import numpy as np

sys.path.insert(0, "tools")
import safetensors_io  # noqa: E402

M = sys.argv[1] if len(sys.argv) > 1 else "public/models/glassbox-mini"
FIX = sys.argv[2] if len(sys.argv) > 2 else "tests/fixtures/glassbox-mini"


def ln(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def forward(W, cfg, ids, hook=None, edit=None):
    T, C, NH = len(ids), cfg["n_embd"], cfg["n_head"]
    HS, eps = C // NH, cfg["layer_norm_epsilon"]
    x = W["wte.weight"][ids] + W["wpe.weight"][:T]
    out = {}
    for L in range(cfg["n_layer"]):
        p = f"h.{L}."
        if edit and hook == f"blocks.{L}.hook_resid_pre":
            x = edit(x)
        out[f"blocks.{L}.hook_resid_pre"] = x
        qkv = ln(x, W[p + "ln_1.weight"], W[p + "ln_1.bias"], eps) @ W[p + "attn.c_attn.weight"] + W[p + "attn.c_attn.bias"]
        q, k, v = (qkv[:, i * C:(i + 1) * C].reshape(T, NH, HS).transpose(1, 0, 2) for i in range(3))  # (NH,T,HS)
        att = q @ k.transpose(0, 2, 1) / math.sqrt(HS)
        att = np.where(np.tril(np.ones((T, T), bool)), att, -np.inf)
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        y = (att @ v).transpose(1, 0, 2).reshape(T, C)
        x = x + y @ W[p + "attn.c_proj.weight"] + W[p + "attn.c_proj.bias"]
        out[f"blocks.{L}.hook_resid_mid"] = x
        h = gelu(ln(x, W[p + "ln_2.weight"], W[p + "ln_2.bias"], eps) @ W[p + "mlp.c_fc.weight"] + W[p + "mlp.c_fc.bias"])
        x = x + h @ W[p + "mlp.c_proj.weight"] + W[p + "mlp.c_proj.bias"]
        out[f"blocks.{L}.hook_resid_post"] = x
    out["logits"] = ln(x, W["ln_f.weight"], W["ln_f.bias"], eps) @ W["wte.weight"].T
    return out


def sae_encode(S, k, x):
    p = (x - S["b_dec"]) @ S["W_enc"] + S["b_enc"]
    f = np.zeros_like(p)
    top = np.argpartition(-p, k - 1, axis=-1)[:, :k]
    np.put_along_axis(f, top, np.maximum(np.take_along_axis(p, top, -1), 0), -1)
    return f


def main():
    meta = json.load(open(f"{FIX}.json"))
    F = safetensors_io.load(f"{FIX}.safetensors")
    cfg = json.load(open(f"{M}/config.json"))
    W = {k: v.astype(np.float64) for k, v in safetensors_io.load(f"{M}/model.safetensors").items()}
    sdir = f"{M}/sae/{meta['sae_hook']}"
    scfg = json.load(open(f"{sdir}/cfg.json"))
    S = {k: v.astype(np.float64) for k, v in safetensors_io.load(f"{sdir}/sae_weights.safetensors").items()}
    hook, k = scfg["metadata"]["hook_name"], scfg["k"]
    worst = 0.0
    for i, p in enumerate(meta["prompts"]):
        ids = F[f"p{i}.input_ids"]
        assert ids.tolist() == p["input_ids"]
        o = forward(W, cfg, ids)
        f = sae_encode(S, k, o[hook])
        o["sae.feature_acts"], o["sae.sae_out"] = f, f @ S["W_dec"] + S["b_dec"]
        for name, ref in o.items():
            got = F[f"p{i}.{name}"]
            err = np.abs(got - ref).max() / (1 + np.abs(ref).max())
            worst = max(worst, err)
            assert err < 1e-4, (i, name, err)
    # steering fixture and the clamp-to-own-value identity
    j, v = meta["steer"]["feature"], meta["steer"]["value"]
    ids0 = F["p0.input_ids"]
    clamp = lambda x, val=None: x + ((v if val is None else val(x)) - sae_encode(S, k, x)[:, j:j + 1]) * S["W_dec"][j]
    steered = forward(W, cfg, ids0, hook, clamp)["logits"]
    assert np.abs(steered - F["p0.steer.logits"]).max() < 1e-3 * (1 + np.abs(steered).max())
    same = forward(W, cfg, ids0, hook, lambda x: clamp(x, lambda y: sae_encode(S, k, y)[:, j:j + 1]))["logits"]
    assert np.array_equal(same, forward(W, cfg, ids0)["logits"])
    print(f"fixtures OK ({len(meta['prompts'])} prompts; worst relative error {worst:.2e}; steering OK; clamp-to-self identity OK)")


if __name__ == "__main__":
    main()
