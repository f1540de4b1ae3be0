#!/usr/bin/env bash
# The main job on the default model: installs the dependencies, builds qinfer (Release), exports the
# default model (torchvision MobileNetV2, random weights, fixed seed; cached) and runs it: `qinfer info`, then
# `qinfer run` on a random input (outputs in build-release/demo/), then static INT8: `qinfer quantize` on the
# zoo's calibration samples, `qinfer compare` of the INT8 model against the FP32 one, and `qinfer bench` of both.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
bash tools/install-deps.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j "$(nproc)" --target qinfer
MODEL="$(/usr/bin/python3 models/make_zoo.py --only mobilenetv2 --print-path)"
ZOO="$(dirname "$MODEL")"
/usr/bin/python3 models/make_calib.py --only mobilenetv2
QINFER=./build-release/tools/qinfer
$QINFER info "$MODEL"
$QINFER run "$MODEL" --output-dir build-release/demo
$QINFER quantize "$MODEL" -o build-release/demo/mobilenet_v2.int8.onnx --calib "$ZOO/calib"
$QINFER compare "$MODEL" build-release/demo/mobilenet_v2.int8.onnx --input "input=$ZOO/set0/input.npy"
echo "== FP32"
$QINFER bench "$MODEL" --runs 10 | grep -E "median|isa"
echo "== INT8"
$QINFER bench build-release/demo/mobilenet_v2.int8.onnx --runs 10 | grep -E "median|isa"
