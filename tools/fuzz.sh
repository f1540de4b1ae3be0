#!/usr/bin/env bash
# Fuzzes model loading, session building and running (tests/fuzz/fuzz_model.c) with libFuzzer under ASan +
# UBSan. The seed corpus is every small model the test suites generate (engine models, ONNX backend node
# tests); crashes are written to build-fuzz/crashes/.
#
#   tools/fuzz.sh [SECONDS]      # default 60
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
SECONDS_TO_RUN="${1:-60}"
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Sanitize -DQINFER_BUILD_FUZZ=ON >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target fuzz_model
CORPUS=build-fuzz/corpus
mkdir -p "$CORPUS" build-fuzz/crashes
if [ -z "$(ls -A "$CORPUS")" ]; then
  /usr/bin/python3 tests/engine/make_models.py build-fuzz/seed_models >/dev/null
  cp build-fuzz/seed_models/*.onnx "$CORPUS"/
  CACHE="${QINFER_CACHE:-$REPO/.cache}"
  for d in "$CACHE"/onnx-backend/*/node/*/; do # present once the backend suite has run
    [ -f "$d/model.onnx" ] && cp "$d/model.onnx" "$CORPUS/$(basename "$d").onnx"
  done
fi
ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
  ./build-fuzz/tests/fuzz_model -max_total_time="$SECONDS_TO_RUN" -rss_limit_mb=4096 -timeout=20 \
  -artifact_prefix=build-fuzz/crashes/ -print_final_stats=1 "$CORPUS"
