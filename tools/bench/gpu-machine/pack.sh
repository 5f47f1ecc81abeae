#!/usr/bin/env bash
# Packs what a GPU machine with no Node, no npm and no network needs to run the Node benchmark
# into one folder (default bench/gpu-machine/, git-ignored; under 64 MiB):
#   node.xz              this machine's node binary, xz -9 (node 20: about 24 MB)
#   dawn.node.xz         Dawn from the webgpu dev dependency, xz -9 (about 4.9 MB)
#   glassbox-bench.mjs   the bundle (tools/bench/build-node.mjs)
#   libvulkan1_*.deb     Debian's Vulkan loader (apt-get download libvulkan1)
#   run.sh               a copy of tools/bench/gpu-machine/run.sh: unpacks these there and runs
# Usage: bash tools/bench/gpu-machine/pack.sh [PACK_DIR]
set -euo pipefail
cd "$(dirname "$0")/../../.."
PACK="${1:-bench/gpu-machine}"
LIMIT=$((64 * 1024 * 1024))
NEED_CHROMIUM=0 source tools/ensure-deps.sh
mkdir -p "$PACK"
node tools/bench/build-node.mjs "$PACK/glassbox-bench.mjs"
# xz -9 of a 100 MB binary takes a minute or two: redo it only when the input is newer
pack_xz() {
  if [ ! -f "$2" ] || [ "$1" -nt "$2" ]; then
    echo "[glassbox] xz -9 $1"
    xz -9 -c "$1" > "$2.tmp" && mv "$2.tmp" "$2"
  fi
}
pack_xz "$(readlink -f "$(command -v node)")" "$PACK/node.xz"
pack_xz "node_modules/webgpu/dist/linux-x64/dawn.node" "$PACK/dawn.node.xz"
if ! ls "$PACK"/libvulkan1_*.deb >/dev/null 2>&1; then
  (cd "$PACK" && apt-get download libvulkan1) || {
    echo "[glassbox] apt-get download libvulkan1 failed: put Debian's libvulkan1 .deb in $PACK" >&2
    exit 1
  }
fi
cp tools/bench/gpu-machine/run.sh "$PACK/run.sh"
size=$(du -cb "$PACK"/* | tail -1 | cut -f1)
ls -l "$PACK"
echo "[glassbox] $PACK: $((size / 1024 / 1024)) MiB of the 64 MiB limit; on the GPU machine: bash $PACK/run.sh $PACK \"\$OUT\""
[ "$size" -lt "$LIMIT" ] || { echo "[glassbox] $PACK is over 64 MiB" >&2; exit 1; }
