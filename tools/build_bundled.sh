#!/usr/bin/env bash
# Regenerates everything in public/models/glassbox-mini/ and tests/fixtures/ from scratch.
# Run from the repository root:  bash tools/build_bundled.sh
# CPU only (Debian python3-torch 1.13, numpy); about 75-90 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
B=tools/_build
M=public/models/glassbox-mini
mkdir -p "$B" "$M" tests/fixtures
t0=$(date +%s)
step() { echo "== $(( $(date +%s) - t0 ))s: $*"; }
step corpus;        $PY tools/corpus.py --out "$B/corpus"
step tokenizer;     $PY tools/prepare_data.py --build "$B" --out "$M"
                    $PY tools/tokenizer_cases.py
if [ -d node_modules/@huggingface/tokenizers ]; then node tools/check_tokenizer.mjs; fi
step model;         $PY tools/train_model.py --build "$B" --out "$M" --steps 640 --warmup 30 --n-head 4 | tee "$B/train_model.log" | grep -E "heldout|step [0-9]*00 "
step sae;           $PY tools/train_sae.py --build "$B" --model "$M" | tee "$B/train_sae.log" | grep -E "harvest|00/|saved"
step features;      $PY tools/features.py --build "$B" --model "$M"
step evaluate;      $PY tools/evaluate.py --build "$B" --model "$M" | tee "$B/evaluate.log"
step fixtures;      $PY tools/fixtures.py --model "$M"
step samples;       $PY tools/samples.py --model "$M" | tee "$B/samples.txt"
step "done"; du -sh "$M" tests/fixtures
