#!/usr/bin/env bash
# Runs the Node benchmark on a GPU machine with no Node, no npm and no network, from the folder
# tools/bench/gpu-machine/pack.sh made: unpacks node, dawn.node and (when the system has no
# Vulkan loader) Debian's libvulkan1 into a scratch folder, points the loader at NVIDIA's Vulkan
# driver, and runs the bundle there (no node_modules anywhere).
# Usage: bash run.sh [PACK_DIR] [OUT_DIR]   (defaults: this script's folder; $OUT, else ./out)
# Writes OUT_DIR/results-node.json and OUT_DIR/bench-node.log; exits 1 on a correctness mismatch.
# Set VK_DRIVER_FILES or VK_ICD_FILENAMES to use another driver (SwiftShader, to try it without a GPU).
set -euo pipefail
PACK="$(cd "${1:-$(dirname "$0")}" && pwd)"
OUT_DIR="${2:-${OUT:-$PWD/out}}"
mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/glassbox-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
xz -dc "$PACK/node.xz" > "$WORK/node"
chmod +x "$WORK/node"
xz -dc "$PACK/dawn.node.xz" > "$WORK/dawn.node"
cp "$PACK/glassbox-bench.mjs" "$WORK/"
# Dawn dlopens libvulkan.so.1: the system's if it has one, else Debian's from the pack
LDCONFIG="$(command -v ldconfig || echo /sbin/ldconfig)"
if ! "$LDCONFIG" -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; then
  dpkg -x "$PACK"/libvulkan1_*.deb "$WORK/vulkan"
  export LD_LIBRARY_PATH="$WORK/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
NVIDIA_ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  [ -f "$NVIDIA_ICD" ] || echo "[glassbox] no $NVIDIA_ICD; the Vulkan loader looks in its default places" >&2
  [ -f "$NVIDIA_ICD" ] && export VK_DRIVER_FILES="$NVIDIA_ICD"
fi
echo "[glassbox] $("$WORK/node" --version), Vulkan drivers: ${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-default}}"
cd "$WORK"
set +e
DAWN_NODE="$WORK/dawn.node" "$WORK/node" "$WORK/glassbox-bench.mjs" "$OUT_DIR/results-node.json" 2>&1 | tee "$OUT_DIR/bench-node.log"
code=${PIPESTATUS[0]}
echo "[glassbox] exit $code; results in $OUT_DIR/results-node.json"
exit "$code"
