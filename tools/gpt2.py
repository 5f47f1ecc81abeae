"""GPT-2 in PyTorch with Hugging Face's parameter names (no "transformer." prefix).

Conv1D weights are [in, out] (y = x @ W + b). The LM head is tied to wte. GELU is the tanh
approximation ("gelu_new"); LayerNorm eps is 1e-5. Hook names follow TransformerLens:
blocks.L.hook_resid_pre / hook_resid_mid / hook_resid_post.
"""
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import safetensors_io


class Conv1D(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_in, n_out) * 0.02)
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return x @ self.weight + self.bias


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


class Attention(nn.Module):
    def __init__(self, c, nh):
        super().__init__()
        self.nh = nh
        self.c_attn = Conv1D(c, 3 * c)
        self.c_proj = Conv1D(c, c)

    def forward(self, x):  # x (B, T, C)
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.nh, C // self.nh).transpose(1, 2) for t in (q, k, v))  # (B, NH, T, HS)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // self.nh)
        mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        return self.c_proj((att @ v).transpose(1, 2).reshape(B, T, C))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc = Conv1D(c, 4 * c)
        self.c_proj = Conv1D(4 * c, c)

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, c, nh, eps):
        super().__init__()
        self.ln_1 = nn.LayerNorm(c, eps=eps)
        self.attn = Attention(c, nh)
        self.ln_2 = nn.LayerNorm(c, eps=eps)
        self.mlp = MLP(c)


class GPT2(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        c, eps = cfg["n_embd"], cfg["layer_norm_epsilon"]
        self.wte = nn.Embedding(cfg["vocab_size"], c)
        self.wpe = nn.Embedding(cfg["n_positions"], c)
        self.h = nn.ModuleList([Block(c, cfg["n_head"], eps) for _ in range(cfg["n_layer"])])
        self.ln_f = nn.LayerNorm(c, eps=eps)
        nn.init.normal_(self.wte.weight, std=0.02)
        nn.init.normal_(self.wpe.weight, std=0.01)
        for b in self.h:  # GPT-2's scaled init of the residual projections
            for p in (b.attn.c_proj.weight, b.mlp.c_proj.weight):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * cfg["n_layer"]))

    def forward(self, idx, hooks=None, edit=None, stop_at=None):
        """idx (B, T) -> logits (B, T, V).

        hooks: dict to fill with {hook_name: tensor (B, T, C)} for every resid hook.
        edit: (hook_name, fn) replaces that residual with fn(resid) (SAE splicing, steering).
        stop_at: hook name; return that residual instead of logits (cheap activation harvest).
        """
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(T, device=idx.device))

        def hook(name, x):
            if edit is not None and edit[0] == name:
                x = edit[1](x)
            if hooks is not None:
                hooks[name] = x
            return x

        for L, b in enumerate(self.h):
            x = hook(f"blocks.{L}.hook_resid_pre", x)
            if stop_at == f"blocks.{L}.hook_resid_pre":
                return x
            x = hook(f"blocks.{L}.hook_resid_mid", x + b.attn(b.ln_1(x)))
            x = hook(f"blocks.{L}.hook_resid_post", x + b.mlp(b.ln_2(x)))
        return self.ln_f(x) @ self.wte.weight.T


def hf_config(vocab_size, n_ctx, n_embd, n_layer, n_head, eot_id):
    return {
        "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.0,
        "bos_token_id": eot_id, "embd_pdrop": 0.0, "eos_token_id": eot_id, "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": n_ctx, "n_embd": n_embd, "n_head": n_head,
        "n_inner": None, "n_layer": n_layer, "n_positions": n_ctx, "reorder_and_upcast_attn": False,
        "resid_pdrop": 0.0, "scale_attn_by_inverse_layer_idx": False, "scale_attn_weights": True,
        "summary_activation": None, "summary_first_dropout": 0.0, "summary_proj_to_labels": True,
        "summary_type": "cls_index", "summary_use_proj": True, "tie_word_embeddings": True,
        "torch_dtype": "float32", "use_cache": True, "vocab_size": vocab_size,
    }


def save(model, path):
    sd = {k: v.detach().cpu().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    safetensors_io.save(path, sd, metadata={"format": "pt"})


def load(dirpath):
    with open(f"{dirpath}/config.json") as f:
        cfg = json.load(f)
    model = GPT2(cfg)
    sd = {k: torch.from_numpy(v) for k, v in safetensors_io.load(f"{dirpath}/model.safetensors").items()}
    model.load_state_dict(sd, strict=True)
    return model.eval()
