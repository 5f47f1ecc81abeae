#!/usr/bin/python3
"""Reference gradients for the GPU backward (issue 14), by torch autograd: the modern decoders.

The companion of tools/grad_reference.py (GPT-2), for the Gemma 3, Gemma 2, Llama and Qwen 3
fixtures in tests/fixtures/hf/<family>-seed1/. Same targets, same output format: the gradient
of a target w.r.t. every decoder layer's input resid_pre[L] ((T, C); for Gemma after the
embedding scale), for two targets at the last position:
  logit       logits[T-1, tok]
  logit_diff  logits[T-1, tok] - logits[T-1, alt]
tok is the argmax at the last position and alt the runner-up.

Independent of the app: its own forward, written from the Hugging Face architectures
(transformers 5.x configs): RMSNorm (Gemma: x_hat * (1 + w)), RoPE (rotate-half; Llama's
"llama3" scaling; Gemma 3 picks theta per layer type), GQA, SwiGLU / GeGLU-tanh MLP, tied LM
head. Gemma: embeddings times sqrt(C) rounded to float32, scores scaled by
query_pre_attn_scalar**-0.5, sandwich norms, sliding window (key j is visible to query i iff
i - W < j <= i). Gemma 2: attention and final logit soft-capping. Gemma 3 and Qwen 3: per-head
QK-norm before RoPE. The forward is first checked against reference.json (logits, resid_pre,
resid_post; f32 references vs this float64 forward). Run with Debian's python3-torch:

  /usr/bin/python3 tools/grad_reference_decoder.py                 # all four
  /usr/bin/python3 tools/grad_reference_decoder.py gemma3 llama    # some
Writes tests/fixtures/hf/<family>-seed1/grad_reference.json.
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from grad_reference import grads_of, read_safetensors, write_reference  # noqa: E402  (also sets 2 torch threads)

torch.set_num_threads(2)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAMILIES = ['gemma3', 'gemma2', 'llama', 'qwen3']


def rope_params(cfg, layer_type):
    """The RoPE parameters of one layer, from the 5.x `rope_parameters` (flat, or keyed by layer
    type as Gemma 3 saves it) or the 4.x `rope_theta` / `rope_local_base_freq` / `rope_scaling`."""
    rp = cfg.get('rope_parameters')
    if isinstance(rp, dict) and layer_type in rp:
        return rp[layer_type]
    if rp:
        return rp
    if layer_type == 'sliding_attention' and 'rope_local_base_freq' in cfg:
        return {'rope_type': 'default', 'rope_theta': cfg['rope_local_base_freq']}
    p = dict(cfg.get('rope_scaling') or {'rope_type': 'default'})
    p.setdefault('rope_type', p.get('type', 'default'))
    p['rope_theta'] = cfg.get('rope_theta', 10000.0)
    return p


def inv_freq(p, dim):
    f = 1.0 / (p['rope_theta'] ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    kind = p.get('rope_type', 'default')
    if kind == 'linear':
        f = f / p['factor']
    elif kind == 'llama3':
        factor, lo, hi = p['factor'], p['low_freq_factor'], p['high_freq_factor']
        old = p['original_max_position_embeddings']
        wavelen = 2 * math.pi / f
        scaled = torch.where(wavelen > old / lo, f / factor, f)
        smooth = (old / wavelen - lo) / (hi - lo)
        medium = (wavelen >= old / hi) & (wavelen <= old / lo)
        f = torch.where(medium, (1 - smooth) * scaled / factor + smooth * scaled, scaled)
    elif kind != 'default':
        raise ValueError(f'rope_type {kind} not supported')
    return f


def rope(x, cos, sin):
    """x (H, T, D); rotate-half convention (first half paired with second half)."""
    x1, x2 = x.chunk(2, dim=-1)
    return x * cos + torch.cat((-x2, x1), dim=-1) * sin


def forward(w, cfg, ids, dtype, resid_pre, resid_post=None):
    """Logits (T, V). Appends each layer's input to resid_pre, as a node of the one graph, so
    autograd.grad w.r.t. it is d y / d resid_pre[L] (and each layer's output to resid_post)."""
    g = {k: v.to(dtype) for k, v in w.items()}
    gemma = cfg['model_type'].startswith('gemma')
    T, C = len(ids), cfg['hidden_size']
    NH, NKV, D = cfg['num_attention_heads'], cfg['num_key_value_heads'], cfg['head_dim']
    eps, n_layer = cfg['rms_norm_eps'], cfg['num_hidden_layers']
    layer_types = cfg.get('layer_types') or ['full_attention'] * n_layer
    window = cfg.get('sliding_window')
    scale = cfg['query_pre_attn_scalar'] ** -0.5 if gemma else D ** -0.5
    attn_cap, final_cap = cfg.get('attn_logit_softcapping'), cfg.get('final_logit_softcapping')
    act = cfg.get('hidden_activation') or cfg.get('hidden_act')
    act = {'gelu_pytorch_tanh': lambda z: torch.nn.functional.gelu(z, approximate='tanh'),
           'silu': torch.nn.functional.silu}[act]

    def norm(x, name):
        wt = g[name + '.weight']
        xh = x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps)
        return xh * (1.0 + wt) if gemma else xh * wt

    def lin(x, name):
        return x @ g[name + '.weight'].T

    pos = torch.arange(T, dtype=torch.float64)
    i, j = pos[:, None], pos[None, :]
    causal = j <= i
    masks = {'full_attention': causal,
             'sliding_attention': causal & (j > i - window) if window else causal}
    rot = {}
    for lt in set(layer_types):
        fr = torch.outer(pos, inv_freq(rope_params(cfg, lt), D))
        emb = torch.cat((fr, fr), dim=-1)
        rot[lt] = (emb.cos().to(dtype), emb.sin().to(dtype))

    x = g['model.embed_tokens.weight'][ids]
    if gemma:  # the scale is a tensor in the activation dtype (f32 in the reference)
        x = x * torch.tensor(math.sqrt(C), dtype=torch.float32).to(dtype)
    x = x.requires_grad_(True)
    for l, lt in enumerate(layer_types):
        p = f'model.layers.{l}'
        x = x * 1.0  # a distinct node per layer (the embedding leaf is resid_pre[0] only through it)
        resid_pre.append(x)
        h = norm(x, p + '.input_layernorm')
        q = lin(h, p + '.self_attn.q_proj').reshape(T, NH, D).transpose(0, 1)
        k = lin(h, p + '.self_attn.k_proj').reshape(T, NKV, D).transpose(0, 1)
        v = lin(h, p + '.self_attn.v_proj').reshape(T, NKV, D).transpose(0, 1)
        if p + '.self_attn.q_norm.weight' in g:  # QK-norm (Gemma 3, Qwen 3), per head, before RoPE
            q, k = norm(q, p + '.self_attn.q_norm'), norm(k, p + '.self_attn.k_norm')
        cos, sin = rot[lt]
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        k, v = k.repeat_interleave(NH // NKV, dim=0), v.repeat_interleave(NH // NKV, dim=0)
        s = (q @ k.transpose(1, 2)) * scale
        if attn_cap:
            s = torch.tanh(s / attn_cap) * attn_cap
        s = s.masked_fill(~masks[lt], float('-inf'))
        a = lin((torch.softmax(s, dim=-1) @ v).transpose(0, 1).reshape(T, NH * D), p + '.self_attn.o_proj')
        if gemma:  # sandwich norms
            x = x + norm(a, p + '.post_attention_layernorm')
            h = norm(x, p + '.pre_feedforward_layernorm')
        else:
            x = x + a
            h = norm(x, p + '.post_attention_layernorm')
        m = lin(act(lin(h, p + '.mlp.gate_proj')) * lin(h, p + '.mlp.up_proj'), p + '.mlp.down_proj')
        x = x + (norm(m, p + '.post_feedforward_layernorm') if gemma else m)
        if resid_post is not None:
            resid_post.append(x)
    logits = norm(x, 'model.norm') @ g.get('lm_head.weight', g['model.embed_tokens.weight']).T
    if final_cap:
        logits = torch.tanh(logits / final_cap) * final_cap
    return logits


def main(family):
    rel_dir = f'tests/fixtures/hf/{family}-seed1'
    d = f'{ROOT}/{rel_dir}'
    cfg = json.load(open(f'{d}/config.json'))
    w = read_safetensors(f'{d}/model.safetensors')
    ref = json.load(open(f'{d}/reference.json'))
    ids = ref['input_ids']
    f64 = lambda a: torch.tensor(a, dtype=torch.float64)  # noqa: E731

    with torch.no_grad():
        pre, post = [], []
        logits64 = forward(w, cfg, ids, torch.float64, pre, post)
    worst = max((logits64 - f64(ref['logits'])).abs().max().item(),
                *((a - f64(b)).abs().max().item() for a, b in zip(pre, ref['resid_pre'])),
                *((a - f64(b)).abs().max().item() for a, b in zip(post, ref['resid_post'])))
    print(f'{family}: T={len(ids)} max |logit - reference| (f64 forward) = '
          f'{(logits64 - f64(ref["logits"])).abs().max():.3e} (max |logit| {logits64.abs().max():.2f})')
    for l, (a, b, c, e) in enumerate(zip(pre, ref['resid_pre'], post, ref['resid_post'])):
        print(f'  L={l}: max |resid_pre - ref| {(a - f64(b)).abs().max():.3e}, '
              f'max |resid_post - ref| {(c - f64(e)).abs().max():.3e} (max |resid_post| {c.abs().max():.2f})')
    if worst > 1e-4:
        sys.exit(f'{family}: forward does not match reference.json (worst {worst:.3e}); not writing')

    write_reference(f'{d}/grad_reference.json', 'tools/grad_reference_decoder.py', f'{rel_dir} (model.safetensors, reference.json input_ids)',
                    ids, cfg['num_hidden_layers'], cfg['hidden_size'], logits64, grads_of(forward, w, cfg, ids))


if __name__ == '__main__':
    for fam in sys.argv[1:] or FAMILIES:
        if fam not in FAMILIES:
            sys.exit(f'unknown family {fam}; one of {FAMILIES}')
        main(fam)
