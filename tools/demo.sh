#!/usr/bin/env bash
# The main job on the default model: installs the dependencies, builds qinfer (Release), exports the
# default model (torchvision MobileNetV2, random weights, fixed seed; cached) and runs it:
# `qinfer info` then `qinfer run` on a random input, writing the outputs to build-release/demo/.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
bash tools/install-deps.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j "$(nproc)" --target qinfer
MODEL="$(/usr/bin/python3 models/make_zoo.py --only mobilenetv2 --print-path)"
./build-release/tools/qinfer info "$MODEL"
./build-release/tools/qinfer run "$MODEL" --output-dir build-release/demo
