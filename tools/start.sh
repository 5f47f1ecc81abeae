#!/usr/bin/env bash
# `npm start`: install what is missing, build, serve on localhost and print the URL.
set -euo pipefail
cd "$(dirname "$0")/.."
NEED_CHROMIUM=0 source tools/ensure-deps.sh
npx vite build
PORT="${PORT:-4173}"
echo "[glassbox] open http://127.0.0.1:$PORT/ in Chrome or Edge 113+ (WebGPU)"
exec npx vite preview --host 127.0.0.1 --port "$PORT" --strictPort
