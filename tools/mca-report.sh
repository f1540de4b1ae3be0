#!/usr/bin/env bash
# Static throughput estimates of the NEON GEMM and depthwise inner loops with llvm-mca (issue 10, docs/kernels.md,
# "llvm-mca estimates"): one command regenerates the table between the mca-report markers of docs/kernels.md.
#
#   tools/mca-report.sh [--print] [FILE.c ...]
#
# Configures an aarch64 Release build in build-mca-aarch64/ (configuration only: the compile commands), compiles
# every kernels/*/*-neon.c, *-neondot.c and *-neoni8mm.c file (and any FILE.c given, with the flags of a kernel
# file of the same ISA suffix) to assembly with those commands plus -DQI_MCA, cuts out each region marked by
# kernels/mca.h's QI_MCA_BEGIN / QI_MCA_END and runs llvm-mca-14 on it for Cortex-A53, Cortex-A76, Neoverse-N1 and
# Neoverse-N2 (the one of the four with i8mm). The work is done by tools/mca_report.py; --print writes the table
# to stdout instead of docs/kernels.md. Needs gcc-aarch64-linux-gnu, the target's nanopb (as for
# tools/cross-test.sh), python3 and llvm-mca-14 (Debian: llvm-14).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
BUILD="$REPO/build-mca-aarch64"
command -v llvm-mca-14 >/dev/null || { echo "mca-report: llvm-mca-14 not found (Debian: apt-get install llvm-14)" >&2; exit 1; }
mkdir -p "$BUILD"
cmake -S . -B "$BUILD" --toolchain cmake/toolchains/aarch64-linux-gnu.cmake -DCMAKE_BUILD_TYPE=Release \
  -DQINFER_BUILD_TESTS=OFF -DQINFER_BUILD_BENCH=OFF -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$BUILD/configure.log" 2>&1 \
  || { cat "$BUILD/configure.log" >&2; exit 1; }
exec python3 "$REPO/tools/mca_report.py" --repo "$REPO" --build "$BUILD" "$@"
