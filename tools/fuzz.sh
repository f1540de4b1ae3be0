#!/usr/bin/env bash
# Fuzzes qinfer with libFuzzer under ASan + UBSan (clang): tests/fuzz/fuzz_loader.c (load and inspect a model)
# and tests/fuzz/fuzz_model.c (load, build a session, run it once). Each target's corpus starts from every small
# model the test suites generate (engine models; the ONNX backend node tests once that suite has run) and the
# regression inputs (tests/fuzz/regressions/). A crash, leak, hang (> 20 s) or out-of-bounds access stops the
# run with status 1 and the input is written to build-fuzz/crashes/; add it to tests/fuzz/regressions/ with the
# fix.
#
#   tools/fuzz.sh [SECONDS] [TARGET...]   # SECONDS per target (default 60); targets: loader model (default both)
#   tools/fuzz.sh --ci                    # the README's test command: fixed seed, loader 20 s + model 40 s
#   FUZZ_RUNS=N tools/fuzz.sh ...         # stop each target after N executions instead (long runs: see testing.md)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

declare -A seconds=()
targets=()
seed=0 # 0: libFuzzer picks one
if [[ "${1:-}" == --ci ]]; then
  seed=1
  seconds[loader]=20
  seconds[model]=40
  targets=(loader model)
else
  per_target="${1:-60}"
  shift || true
  targets=("$@")
  ((${#targets[@]})) || targets=(loader model)
  for t in "${targets[@]}"; do
    [[ "$t" == loader || "$t" == model ]] || { echo "fuzz.sh: unknown target '$t' (loader, model)" >&2; exit 2; }
    seconds[$t]="$per_target"
  done
fi

cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Sanitize -DQINFER_BUILD_FUZZ=ON >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

SEEDS=build-fuzz/seeds
if [[ ! -d "$SEEDS" ]]; then
  /usr/bin/python3 tests/engine/make_models.py build-fuzz/seed_models >/dev/null
  mkdir -p "$SEEDS.tmp"
  cp build-fuzz/seed_models/*.onnx "$SEEDS.tmp"/
  CACHE="${QINFER_CACHE:-$REPO/.cache}"
  for d in "$CACHE"/onnx-backend/*/node/*/; do # present once the backend suite has run
    [[ -f "$d/model.onnx" ]] && cp "$d/model.onnx" "$SEEDS.tmp/$(basename "$d").onnx"
  done
  mv "$SEEDS.tmp" "$SEEDS"
fi
mkdir -p build-fuzz/crashes

for t in "${targets[@]}"; do
  corpus="build-fuzz/corpus-$t"
  mkdir -p "$corpus"
  limit=(-max_total_time="${seconds[$t]}")
  bound="${seconds[$t]} s"
  if [[ -n "${FUZZ_RUNS:-}" ]]; then
    limit=(-runs="$FUZZ_RUNS")
    bound="$FUZZ_RUNS executions"
  fi
  echo "fuzz.sh: fuzz_$t, $bound, seed $seed"
  # new corpus entries go to the first folder; the others are read-only seeds
  log="build-fuzz/fuzz_$t.log"
  status=0
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "./build-fuzz/tests/fuzz_$t" "${limit[@]}" -seed="$seed" -rss_limit_mb=4096 -timeout=20 \
    -artifact_prefix=build-fuzz/crashes/ -print_final_stats=1 "$corpus" "$SEEDS" tests/fuzz/regressions \
    >"$log" 2>&1 || status=$?
  # progress lines (NEW / REDUCE / pulse) and the recommended dictionary stay in the log; the rest is shown
  grep -v -e '^#[0-9]*[[:space:]]*\(NEW\|REDUCE\|pulse\)' -e '^"' -e '^######' "$log" | tail -n 60
  if [[ "$status" != 0 ]]; then
    echo "fuzz.sh: fuzz_$t failed (status $status); the input is in build-fuzz/crashes/" >&2
    exit 1
  fi
done
