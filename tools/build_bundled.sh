#!/usr/bin/env bash
# Regenerates everything in public/models/glassbox-mini/ and tests/fixtures/ from scratch.
# Run from the repository root:   bash tools/build_bundled.sh
# Resume from a stage:            bash tools/build_bundled.sh --from sae   (corpus|model|sae|features|evaluate|fixtures)
# CPU only (Debian python3-torch 1.13 + numpy, 2 threads); see tools/NOTES.md for timings.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
B=${B:-tools/_build}                     # intermediate files (git-ignored)
M=${M:-public/models/glassbox-mini}      # shipped bundle
FIX=${FIX:-tests/fixtures/glassbox-mini} # fixture path prefix
FROM=corpus
[ "${1:-}" = "--from" ] && FROM=$2
mkdir -p "$B" "$M" "$(dirname "$FIX")"
t0=$(date +%s)
go=0
stage() {  # stage NAME: true once NAME (or an earlier stage) is reached
  [ "$1" = "$FROM" ] && go=1
  [ $go = 1 ] && echo "== $(( $(date +%s) - t0 ))s: $1"
  [ $go = 1 ]
}
if stage corpus; then
  $PY tools/corpus.py --out "$B/corpus"
  # the first ~300 KB of held-out documents (whole lines): the corpus of in-browser dashboard builds
  head -c 300000 "$B/corpus/heldout.jsonl" | head -n -1 > "$M/corpus.jsonl"
  $PY tools/prepare_data.py --build "$B" --out "$M"
  $PY tools/tokenizer_cases.py "$M/tokenizer.json" "$FIX.tokenizer.json"
  if [ -d node_modules/@huggingface/tokenizers ]; then node tools/check_tokenizer.mjs "$M" "$FIX.tokenizer.json"; fi
fi
if stage model; then
  $PY tools/train_model.py --build "$B" --out "$M" --ckpt "$B/ckpt" --steps 640 --warmup 30 --n-head 4 > "$B/train_model.log"
  grep heldout "$B/train_model.log"
fi
if stage sae; then
  $PY tools/train_sae.py --build "$B" --model "$M" > "$B/train_sae.log"
  tail -2 "$B/train_sae.log"
fi
if stage features; then
  $PY tools/features.py --build "$B" --model "$M"
  node tools/ngram_labels.mjs "$M/features"   # n-gram labels from the shards' examples, into index.json
fi
if stage evaluate; then $PY tools/evaluate.py --build "$B" --model "$M" | tee "$B/evaluate.log" | tail -3; fi
if stage fixtures; then
  $PY tools/fixtures.py --model "$M" --out "$FIX"
  $PY tools/check_fixtures.py "$M" "$FIX"
  $PY tools/samples.py --model "$M" | tee "$B/samples.txt"
fi
echo "== $(( $(date +%s) - t0 ))s: done"
du -sh "$M" "$(dirname "$FIX")"
