#!/usr/bin/python3
"""Reference gradients for the GPU backward (issue 14), by torch autograd.

For a GPT-2 checkpoint, the gradient of a target w.r.t. every layer's resid_pre (the input to
block L, (T, C)), for two targets at the last position:
  logit       logits[T-1, tok]
  logit_diff  logits[T-1, tok] - logits[T-1, alt]
tok is the argmax at the last position and alt the runner-up.

Independent of the app: its own safetensors reader and its own GPT-2 forward, following
Hugging Face GPT2LMHeadModel (gelu_new, LayerNorm eps from config.json, Conv1D weights stored
(in, out), scores scaled by 1/sqrt(head size), tied LM head). Run with Debian's python3-torch:

  /usr/bin/python3 tools/grad_reference.py gpt2   # tests/fixtures/hf/gpt2-seed1/grad_reference.json
  /usr/bin/python3 tools/grad_reference.py mini   # tests/fixtures/glassbox-mini.grad_reference.json
"""
import json
import math
import os
import struct
import sys

import torch

torch.set_num_threads(2)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_safetensors(path):
    """name -> float64 tensor (F32 and I32 only; that is all these fixtures hold)."""
    with open(path, 'rb') as f:
        data = f.read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, t in header.items():
        if name == '__metadata__':
            continue
        a, b = t['data_offsets']
        fmt = {'F32': 'f', 'I32': 'i'}[t['dtype']]
        vals = struct.unpack(f'<{(b - a) // 4}{fmt}', body[a:b])
        out[name.removeprefix('transformer.')] = torch.tensor(vals, dtype=torch.float64).reshape(t['shape'])
    return out


def forward(w, cfg, ids, dtype, resid_pre):
    """Logits (T, V). Appends each block's input to resid_pre, as a node of the one graph, so
    autograd.grad w.r.t. it is d y / d resid_pre[L]."""
    g = {k: v.to(dtype) for k, v in w.items()}
    T, C, NH = len(ids), cfg['n_embd'], cfg['n_head']
    HS = C // NH
    eps = cfg['layer_norm_epsilon']

    def ln(x, p):
        return torch.nn.functional.layer_norm(x, (C,), g[p + '.weight'], g[p + '.bias'], eps)

    def gelu_new(x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))

    x = (g['wte.weight'][ids] + g['wpe.weight'][:T]).requires_grad_(True)
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for l in range(cfg['n_layer']):
        h = f'h.{l}'
        x = x * 1.0  # a distinct node per layer (the embedding leaf is resid_pre[0] only through it)
        resid_pre.append(x)
        qkv = ln(x, h + '.ln_1') @ g[h + '.attn.c_attn.weight'] + g[h + '.attn.c_attn.bias']
        q, k, v = (z.reshape(T, NH, HS).transpose(0, 1) for z in qkv.split(C, dim=1))
        s = (q @ k.transpose(1, 2)) / math.sqrt(HS)
        s = s.masked_fill(~mask, float('-inf'))
        a = (torch.softmax(s, dim=-1) @ v).transpose(0, 1).reshape(T, C)
        x = x + a @ g[h + '.attn.c_proj.weight'] + g[h + '.attn.c_proj.bias']
        m = gelu_new(ln(x, h + '.ln_2') @ g[h + '.mlp.c_fc.weight'] + g[h + '.mlp.c_fc.bias'])
        x = x + m @ g[h + '.mlp.c_proj.weight'] + g[h + '.mlp.c_proj.bias']
    return ln(x, 'ln_f') @ g['wte.weight'].T


def grads_of(forward, w, cfg, ids):
    """(dtype, (tok, alt)) -> d (logit[tok] - logit[alt]) / d resid_pre[L] at the last position, for a
    forward(w, cfg, ids, dtype, resid_pre) that appends each block's input to resid_pre."""
    def grads(dtype, target):
        resid_pre = []
        logits = forward(w, cfg, ids, dtype, resid_pre)
        tok, alt = target
        y = logits[-1, tok] - (logits[-1, alt] if alt is not None else 0)
        return torch.autograd.grad(y, resid_pre)
    return grads


def sig7(t):
    return [float(f'{v:.7g}') for v in t.flatten().tolist()]


def write_reference(out_path, script, source, ids, n_layer, d_model, logits64, grads):
    """Writes the reference file: for the top logit at the last position, and its difference with the
    runner-up, d target / d resid_pre[L] in float64 (grads(dtype, (tok, alt)), from grads_of, gives them; the
    float32 run only shows the spread)."""
    top = torch.topk(logits64[-1], 2).indices.tolist()
    out = {
        'note': f'd target / d resid_pre[L] ((T, C) each, row-major), torch autograd in float64; {script}',
        'source': source,
        'torch': torch.__version__,
        'input_ids': ids,
        'n_layer': n_layer,
        'd_model': d_model,
        'targets': {},
    }
    for name, (tok, alt) in {'logit': (top[0], None), 'logit_diff': (top[0], top[1])}.items():
        g64 = grads(torch.float64, (tok, alt))
        g32 = grads(torch.float32, (tok, alt))
        for l, (a, b) in enumerate(zip(g64, g32)):
            rel = (a - b.double()).abs().max() / a.abs().max()
            print(f'  {name} L={l}: max |grad| {a.abs().max():.4e}; float32 vs float64: max diff / max |grad| = {rel:.2e}')
        out['targets'][name] = {'position': len(ids) - 1, 'token': tok, 'minus_token': alt, 'grad_resid_pre': [sig7(a) for a in g64]}
    with open(out_path, 'w') as f:
        json.dump(out, f, separators=(',', ':'))
    print(f'wrote {out_path}')


def main(which):
    if which == 'gpt2':
        d = f'{ROOT}/tests/fixtures/hf/gpt2-seed1'
        cfg = json.load(open(f'{d}/config.json'))
        w = read_safetensors(f'{d}/model.safetensors')
        ref = json.load(open(f'{d}/reference.json'))
        ids, ref_logits = ref['input_ids'], torch.tensor(ref['logits'], dtype=torch.float64)
        out_path, source = f'{d}/grad_reference.json', 'tests/fixtures/hf/gpt2-seed1 (model.safetensors, reference.json input_ids)'
    else:
        cfg = json.load(open(f'{ROOT}/public/models/glassbox-mini/config.json'))
        w = read_safetensors(f'{ROOT}/public/models/glassbox-mini/model.safetensors')
        fx = read_safetensors(f'{ROOT}/tests/fixtures/glassbox-mini.safetensors')
        ids = [int(v) for v in fx['p0.input_ids'].tolist()]
        ref_logits = fx['p0.logits']
        out_path, source = f'{ROOT}/tests/fixtures/glassbox-mini.grad_reference.json', 'public/models/glassbox-mini/model.safetensors, prompt p0 of tests/fixtures/glassbox-mini.safetensors'

    with torch.no_grad():
        logits64 = forward(w, cfg, ids, torch.float64, [])
    print(f'{which}: T={len(ids)} max |logit - reference| (f64 forward) = {(logits64 - ref_logits).abs().max():.3e}')
    write_reference(out_path, 'tools/grad_reference.py', source, ids, cfg['n_layer'], cfg['n_embd'], logits64,
                    grads_of(forward, w, cfg, ids))


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'gpt2')
