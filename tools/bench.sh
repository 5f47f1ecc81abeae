#!/usr/bin/env bash
# `npm run bench`: see tools/bench/run.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/ensure-deps.sh
node tools/bench/run.mjs
