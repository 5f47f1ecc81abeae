#!/usr/bin/env bash
# `npm test`: node tests (parsers, CPU references, tokenizer) and real-WebGPU browser tests
# (headless Debian chromium, SwiftShader). GPU tests fail, never skip, when no adapter is found.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/ensure-deps.sh
echo "[glassbox] type-checking (tsc, svelte-check)"
npx tsc -p .
npx svelte-check --tsconfig ./tsconfig.json --output human --threshold error
npx vitest run "$@"
