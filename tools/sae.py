"""TopK sparse autoencoder in SAELens's layout and math, plus its cfg.json/safetensors I/O.

x_in = x - b_dec (apply_b_dec_to_input); p = x_in @ W_enc + b_enc; f = ReLU(top-k of p, rest 0);
x_hat = f @ W_dec + b_dec. Decoder rows are kept at unit norm.
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn

import safetensors_io


class TopKSAE(nn.Module):
    def __init__(self, d_in, d_sae, k):
        super().__init__()
        self.d_in, self.d_sae, self.k = d_in, d_sae, k
        W_dec = torch.randn(d_sae, d_in)
        W_dec /= W_dec.norm(dim=1, keepdim=True)
        self.W_dec = nn.Parameter(W_dec)
        self.W_enc = nn.Parameter(W_dec.T.clone().contiguous())
        self.b_enc = nn.Parameter(torch.zeros(d_sae))
        self.b_dec = nn.Parameter(torch.zeros(d_in))

    def pre_acts(self, x):  # x (N, C) -> (N, S)
        return (x - self.b_dec) @ self.W_enc + self.b_enc

    def encode(self, x):
        p = self.pre_acts(x)
        v, i = p.topk(self.k, dim=-1)
        return torch.zeros_like(p).scatter(-1, i, v.relu())

    def decode(self, f):
        return f @ self.W_dec + self.b_dec

    def forward(self, x):
        return self.decode(self.encode(x))

    @torch.no_grad()
    def normalize_decoder(self):
        self.W_dec /= self.W_dec.norm(dim=1, keepdim=True).clamp_min(1e-8)


def cfg_dict(d_in, d_sae, k, hook_name, context_size, model_name="glassbox-mini"):
    """SAELens v6 layout: architecture fields at the top, provenance under metadata."""
    layer = int(hook_name.split(".")[1])
    return {
        "architecture": "topk", "d_in": d_in, "d_sae": d_sae, "k": k, "dtype": "float32", "device": "cpu",
        "apply_b_dec_to_input": True, "normalize_activations": "none", "reshape_activations": "none",
        "rescale_acts_by_decoder_norm": False,
        "metadata": {
            "model_name": model_name, "hook_name": hook_name, "hook_layer": layer, "hook_head_index": None,
            "context_size": context_size, "prepend_bos": False, "exclude_special_tokens": False,
            "dataset_path": "glassbox synthetic corpus (tools/corpus.py)", "model_class_name": "GPT2LMHeadModel",
            "model_from_pretrained_kwargs": {}, "sae_lens_version": "6.0.0", "sae_lens_training_version": None,
            "trained_with": "tools/train_sae.py (TopK + AuxK)",
        },
    }


def save(sae, dirpath, hook_name, context_size):
    os.makedirs(dirpath, exist_ok=True)
    with open(f"{dirpath}/cfg.json", "w") as f:
        json.dump(cfg_dict(sae.d_in, sae.d_sae, sae.k, hook_name, context_size), f, indent=2)
    safetensors_io.save(f"{dirpath}/sae_weights.safetensors",
                        {n: getattr(sae, n).detach().cpu().numpy().astype(np.float32)
                         for n in ("W_enc", "b_enc", "W_dec", "b_dec")})


def load(dirpath):
    with open(f"{dirpath}/cfg.json") as f:
        cfg = json.load(f)
    sae = TopKSAE(cfg["d_in"], cfg["d_sae"], cfg["k"])
    w = safetensors_io.load(f"{dirpath}/sae_weights.safetensors")
    sae.load_state_dict({n: torch.from_numpy(v) for n, v in w.items()})
    return sae.eval(), cfg
