"""Prints sample generations (greedy and sampled) from the shipped model, for the README."""
import argparse

import torch

import bpe
import gpt2

PROMPTS = ["Once upon a time, there was a sailor named", "The astronaut looked through the",
           "Le fermier", "def count_", "Mia had 7 apples. Leo gave Mia 5 more. Now Mia has"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="public/models/glassbox-mini")
    ap.add_argument("--n-new", type=int, default=48)
    a = ap.parse_args()
    torch.set_num_threads(2)
    model = gpt2.load(a.model)
    tok = bpe.Tokenizer.from_hf_json(f"{a.model}/tokenizer.json")
    with torch.no_grad():
        for p in PROMPTS:
            for mode in ("greedy", "t=0.8"):
                g = torch.Generator().manual_seed(0)
                x = torch.tensor([[tok.eot_id] + tok.encode(p)])
                for _ in range(a.n_new):
                    logits = model(x[:, -model.cfg["n_positions"]:])[0, -1]
                    nxt = logits.argmax() if mode == "greedy" else torch.multinomial((logits / 0.8).softmax(-1), 1, generator=g)[0]
                    x = torch.cat([x, nxt.view(1, 1)], 1)
                print(f"[{mode}] {p!r} -> {tok.decode(x[0, 1:].tolist())[len(p):]!r}")


if __name__ == "__main__":
    main()
