#!/usr/bin/env bash
# The whole test suite, from a fresh clone on a fresh Debian 12 machine (as root): installs the
# dependencies, builds Release (warnings are errors) and runs every ctest suite, then builds the Sanitize
# type (ASan + UBSan) and runs the suites again except the model zoo (too slow under sanitizers; the zoo's
# models run unsanitized above), and last fuzzes the loader and session creation + one run for a minute with a
# fixed seed (tools/fuzz.sh --ci; clang, ASan + UBSan). This is the README's test command; .ci/run runs exactly it.
#
#   tools/run-tests.sh              # everything
#   QINFER_SKIP_SANITIZE=1 tools/run-tests.sh
#   QINFER_SKIP_FUZZ=1 tools/run-tests.sh
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
JOBS="$(nproc)"

bash tools/install-deps.sh

run_suite() { # build dir, build type, extra ctest args...
  local dir="$1" type="$2"
  shift 2
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$type" -DQINFER_WERROR=ON -DQINFER_REQUIRE_TEST_DEPS=ON >/dev/null
  cmake --build "$dir" -j "$JOBS"
  (cd "$dir" && ctest --output-on-failure -j "$JOBS" "$@")
}

run_suite build-release Release
if [[ "${QINFER_SKIP_SANITIZE:-0}" != 1 ]]; then
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_suite build-sanitize Sanitize -LE zoo
fi
if [[ "${QINFER_SKIP_FUZZ:-0}" != 1 ]]; then
  bash tools/fuzz.sh --ci
fi
