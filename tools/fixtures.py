"""Reference tensors for the runtime's GPU tests, from the files as shipped (reloaded from disk).

Writes tests/fixtures/glassbox-mini.safetensors and tests/fixtures/glassbox-mini.json.
No BOS is prepended: input_ids are exactly the tokenizer's ids for each prompt.
"""
import argparse
import json
import os

import numpy as np
import torch

import bpe
import gpt2
import safetensors_io
import sae as sae_lib

PROMPTS = [
    "The ship sailed across the ocean",
    "Le fermier trait la vache dans la grange.",
    "def add(a, b):\n    return a + b",
    "The",
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="public/models/glassbox-mini")
    ap.add_argument("--hook", default="blocks.2.hook_resid_pre")
    ap.add_argument("--out", default="tests/fixtures/glassbox-mini")
    a = ap.parse_args()
    torch.set_num_threads(2)
    model = gpt2.load(a.model)
    sae, cfg = sae_lib.load(f"{a.model}/sae/{a.hook}")
    tok = bpe.Tokenizer.from_hf_json(f"{a.model}/tokenizer.json")
    metrics = json.load(open(f"{a.model}/metrics.json")) if os.path.exists(f"{a.model}/metrics.json") else {}
    tensors, prompts = {}, []
    with torch.no_grad():
        for i, text in enumerate(PROMPTS):
            ids = tok.encode(text)
            hooks = {}
            logits = model(torch.tensor([ids]), hooks=hooks)[0]
            x = hooks[a.hook][0]
            f = sae.encode(x)
            tensors[f"p{i}.input_ids"] = np.array(ids, np.int32)
            tensors[f"p{i}.logits"] = logits.numpy()
            for L in range(model.cfg["n_layer"]):
                for h in ("hook_resid_pre", "hook_resid_mid", "hook_resid_post"):
                    tensors[f"p{i}.blocks.{L}.{h}"] = hooks[f"blocks.{L}.{h}"][0].numpy()
            tensors[f"p{i}.sae.feature_acts"] = f.numpy()
            tensors[f"p{i}.sae.sae_out"] = sae.decode(f).numpy()
            prompts.append({"text": text, "input_ids": ids, "tokens": [tok.token_str(t) for t in ids],
                            "top_features_last_token": [[int(j), round(float(f[-1, j]), 4)]
                                                        for j in f[-1].argsort(descending=True)[:5] if f[-1, j] > 0]})
        # One steering case: prompt 0 with the ocean feature (from metrics.json) clamped at every position.
        j = metrics.get("steering", {}).get("ocean", {}).get("feature", 0)
        v = 10.0 * float(json.load(open(f"{a.model}/features/index.json"))["features"][j][1])

        def clamp(x):
            return x + (v - sae.encode(x)[..., j:j + 1]) * sae.W_dec[j]

        ids0 = torch.tensor([prompts[0]["input_ids"]])
        tensors["p0.steer.logits"] = model(ids0, edit=(a.hook, clamp))[0].numpy()

        # f16 weight storage, as the runtime does it: every matrix (wte, wpe, each Linear's weight)
        # and the SAE's W_enc rounded to half precision (ties to even), the arithmetic in f32.
        for p in model.parameters():
            if p.dim() == 2:
                p.copy_(p.half().float())
        sae.W_enc.copy_(sae.W_enc.half().float())
        for i, pr in enumerate(prompts):
            hooks = {}
            tensors[f"p{i}.f16.logits"] = model(torch.tensor([pr["input_ids"]]), hooks=hooks)[0].numpy()
            tensors[f"p{i}.f16.sae.feature_acts"] = sae.encode(hooks[a.hook][0]).numpy()
    safetensors_io.save(f"{a.out}.safetensors", tensors)
    C, V, S = model.cfg["n_embd"], model.cfg["vocab_size"], sae.d_sae
    desc = {
        "model_dir": a.model, "sae_dir": f"{a.model}/sae/{a.hook}", "sae_hook": a.hook,
        "bos_prepended": False, "dtype": "F32 except input_ids (I32)",
        "prompts": prompts,
        "tensors": {
            "p{i}.input_ids": "I32 [T] token ids fed to the model (no BOS)",
            "p{i}.logits": f"F32 [T,V={V}] final logits (ln_f then tied wte)",
            "p{i}.blocks.{L}.hook_resid_pre": f"F32 [T,C={C}] input of block L (L=0: wte + wpe)",
            "p{i}.blocks.{L}.hook_resid_mid": "F32 [T,C] after attention's residual add",
            "p{i}.blocks.{L}.hook_resid_post": "F32 [T,C] after the MLP's residual add (= next hook_resid_pre)",
            "p{i}.sae.feature_acts": f"F32 [T,S={S}] TopK SAE latents at {a.hook} (k={sae.k} non-zeros max per row)",
            "p{i}.sae.sae_out": "F32 [T,C] SAE reconstruction f @ W_dec + b_dec",
            "p0.steer.logits": "F32 [T,V] logits of prompt 0 with `steer.feature` clamped to `steer.value` at "
                               "every position: x' = x + (value - f_i(x)) W_dec[i] at the SAE hook",
            "p{i}.f16.logits": "F32 [T,V] logits with every 2-D weight (wte, wpe, Linear weights) rounded "
                               "to float16 and back, the computation in float32 (the runtime's f16 storage)",
            "p{i}.f16.sae.feature_acts": "F32 [T,S] SAE latents with W_enc also rounded to float16",
        },
        "steer": {"feature": j, "value": v, "multiple_of_max_act": 10},
        "suggested_tolerance": {"atol": 1e-4, "rtol": 1e-3,
                                "note": "PyTorch CPU float32; TopK ties are practically impossible"},
    }
    with open(f"{a.out}.json", "w", encoding="utf-8") as fh:
        json.dump(desc, fh, indent=1, ensure_ascii=False)
    print("fixtures written:", len(tensors), "tensors")


if __name__ == "__main__":
    main()
