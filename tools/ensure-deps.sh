#!/usr/bin/env bash
# Installs what a fresh machine lacks: node modules (npm ci) and Debian's chromium (headless WebGPU
# on SwiftShader). Idempotent; sourced by test.sh, start.sh and bench.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[glassbox] installing node modules (npm ci)"
  npm ci --no-audit --no-fund
fi
CHROME="${CHROME_PATH:-/usr/bin/chromium}"
if [ "${NEED_CHROMIUM:-1}" = 1 ] && [ ! -x "$CHROME" ]; then
  echo "[glassbox] $CHROME is missing: installing Debian's chromium"
  if [ "$(id -u)" != 0 ]; then echo "[glassbox] need root for apt-get; install chromium or set CHROME_PATH" >&2; exit 1; fi
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi
