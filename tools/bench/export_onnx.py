"""The benchmark's peer: GPT-2 small's exact shapes (random weights, seeded) with a KV cache, as an
ONNX graph for onnxruntime-web's WebGPU execution provider. Written to bench/peer/ (not committed;
~500 MB). One graph serves prefill (past length 0) and decode (T = 1):

  inputs  input_ids int64 [1, T], past_key / past_value float32 [L, NH, P, HS]
  outputs logits float32 [1, V] (last position only, as Glassbox reads back),
          present_key / present_value float32 [L, NH, P + T, HS]

Usage: /usr/bin/python3 tools/bench/export_onnx.py [out.onnx]
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

L, C, NH, V, N_CTX = 12, 768, 12, 50257, 1024
HS = C // NH


class Gpt2Kv(torch.nn.Module):
    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        p = lambda *shape, std=0.02: torch.nn.Parameter(torch.randn(*shape, generator=g) * std)
        z = lambda *shape: torch.nn.Parameter(torch.zeros(*shape))
        o = lambda *shape: torch.nn.Parameter(torch.ones(*shape))
        self.wte, self.wpe = p(V, C), p(N_CTX, C)
        self.blocks = torch.nn.ModuleList()
        for _ in range(L):
            b = torch.nn.Module()
            b.ln1_w, b.ln1_b, b.ln2_w, b.ln2_b = o(C), z(C), o(C), z(C)
            b.attn_w, b.attn_b, b.proj_w, b.proj_b = p(C, 3 * C), z(3 * C), p(C, C), z(C)
            b.fc_w, b.fc_b, b.mlp_w, b.mlp_b = p(C, 4 * C), z(4 * C), p(4 * C, C), z(C)
            self.blocks.append(b)
        self.lnf_w, self.lnf_b = o(C), z(C)

    def forward(self, input_ids, past_key, past_value):
        T = input_ids.shape[1]
        P = past_key.shape[2]
        pos = torch.arange(T) + P
        x = self.wte[input_ids[0]] + self.wpe[pos]  # [T, C]
        # causal mask over [past + current]: query t sees keys up to P + t
        keys = torch.arange(P + T)
        mask = keys[None, :] <= (torch.arange(T) + P)[:, None]
        presents_k, presents_v = [], []
        for i, b in enumerate(self.blocks):
            h = F.layer_norm(x, (C,), b.ln1_w, b.ln1_b, 1e-5)
            qkv = h @ b.attn_w + b.attn_b
            q, k, v = qkv.split(C, dim=1)
            q, k, v = (t.reshape(T, NH, HS).transpose(0, 1) for t in (q, k, v))  # [NH, T, HS]
            k = torch.cat([past_key[i], k], dim=1)
            v = torch.cat([past_value[i], v], dim=1)
            presents_k.append(k)
            presents_v.append(v)
            att = (q @ k.transpose(1, 2)) / math.sqrt(HS)
            att = att.masked_fill(~mask, float("-inf")).softmax(-1)
            y = (att @ v).transpose(0, 1).reshape(T, C)
            x = x + y @ b.proj_w + b.proj_b
            h = F.layer_norm(x, (C,), b.ln2_w, b.ln2_b, 1e-5)
            x = x + F.gelu(h @ b.fc_w + b.fc_b, approximate="tanh") @ b.mlp_w + b.mlp_b
        last = F.layer_norm(x[-1:], (C,), self.lnf_w, self.lnf_b, 1e-5)
        return last @ self.wte.t(), torch.stack(presents_k), torch.stack(presents_v)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "bench/peer/gpt2-small.onnx"
    os.makedirs(os.path.dirname(out), exist_ok=True)
    torch.set_num_threads(2)
    model = Gpt2Kv().eval()
    ids = torch.zeros(1, 3, dtype=torch.int64)
    past = torch.zeros(L, NH, 2, HS)
    with torch.no_grad():
        torch.onnx.export(
            model, (ids, past, past), out, opset_version=17,
            input_names=["input_ids", "past_key", "past_value"],
            output_names=["logits", "present_key", "present_value"],
            dynamic_axes={"input_ids": {1: "T"}, "past_key": {2: "P"}, "past_value": {2: "P"},
                          "present_key": {2: "PT"}, "present_value": {2: "PT"}},
        )
    print(f"wrote {out} ({os.path.getsize(out) / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
