#!/usr/bin/env bash
# `npm run bench:node [results.json]`: bundles tools/bench/node.ts (build-node.mjs) and runs it in
# Node on Dawn (the `webgpu` dev dependency's dawn.node), writing bench/results-node.json. On a
# machine with a GPU it uses that GPU's Vulkan driver; without one, point the Vulkan loader at
# SwiftShader from Debian's chromium (Dawn refuses Debian's lavapipe):
#   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json npm run bench:node
# For a GPU machine without Node, see tools/bench/gpu-machine/.
set -euo pipefail
cd "$(dirname "$0")/.."
NEED_CHROMIUM=0 source tools/ensure-deps.sh
node tools/bench/build-node.mjs
# Dawn dlopens libvulkan.so.1. Without Debian's libvulkan1, use the loader chromium ships, linked
# alone into a folder of its own (chromium's folder also holds its own libEGL/libGLESv2).
if ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 ' && [ -e /usr/lib/chromium/libvulkan.so.1 ]; then
  mkdir -p bench/node/lib
  ln -sf /usr/lib/chromium/libvulkan.so.1 bench/node/lib/libvulkan.so.1
  export LD_LIBRARY_PATH="$PWD/bench/node/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
exec node bench/node/glassbox-bench.mjs "${1:-bench/results-node.json}"
