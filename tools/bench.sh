#!/usr/bin/env bash
# `npm run bench`: see tools/bench/run.mjs. The peer's ONNX graph (tools/bench/export_onnx.py)
# is exported once when Debian's PyTorch is there; without it the peer is reported as not measured.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/ensure-deps.sh
if [ ! -f bench/peer/gpt2-small.onnx ] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  /usr/bin/python3 tools/bench/export_onnx.py bench/peer/gpt2-small.onnx
fi
node tools/bench/run.mjs
