#!/usr/bin/env bash
# The whole test suite, from a fresh clone on a fresh Debian 12 machine (as root): installs the
# dependencies, builds Release (warnings are errors) and runs every ctest suite, then the ARM cross test
# (tools/cross-test.sh: aarch64 and armv7 builds, their kernel testers on several emulated CPUs, engine, fuzz
# replay, backend node tests and the zoo on ARM under qemu-user; docs/porting.md), then builds the Sanitize type
# (ASan + UBSan) and runs the suites again except the model zoo (too slow under sanitizers; the zoo's models run
# unsanitized above), and last fuzzes the loader and session creation + one run for a minute with a fixed seed
# (tools/fuzz.sh --ci; clang, ASan + UBSan). This is the README's test command; .ci/run runs exactly it.
# Each stage's wall time is printed at the end.
#
#   tools/run-tests.sh              # everything
#   QINFER_SKIP_CROSS=1 tools/run-tests.sh
#   QINFER_SKIP_SANITIZE=1 tools/run-tests.sh
#   QINFER_SKIP_FUZZ=1 tools/run-tests.sh
#   QINFER_CROSS_ZOO=all tools/run-tests.sh   # the zoo on ARM with every model (CI: a subset; cross-test.sh)
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

times=()
stage() { # name, command...
  local name="$1" start=$SECONDS
  shift
  "$@"
  times+=("$name: $((SECONDS - start)) s")
}

stage "x86 Release" run_suite build-release Release
if [[ "${QINFER_SKIP_CROSS:-0}" != 1 ]]; then
  # the zoo on ARM compares with the x86 build above (build-release/tools/qinfer)
  stage "ARM cross test" bash tools/cross-test.sh all --no-install
fi
if [[ "${QINFER_SKIP_SANITIZE:-0}" != 1 ]]; then
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 stage "x86 Sanitize" run_suite build-sanitize Sanitize -LE zoo
fi
if [[ "${QINFER_SKIP_FUZZ:-0}" != 1 ]]; then
  stage "fuzz" bash tools/fuzz.sh --ci
fi
echo "run-tests: all stages passed in $SECONDS s (install included):"
printf '  %s\n' "${times[@]}"
