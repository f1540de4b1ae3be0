#!/usr/bin/env bash
# Cross-builds qinfer for ARM Linux and runs its tests under qemu-user, on a Debian 12 x86-64 machine (as root).
# Part of tools/run-tests.sh (after the x86 Release suite; QINFER_SKIP_CROSS=1 leaves it out); docs/porting.md
# explains the setup and the times.
#
#   tools/cross-test.sh [aarch64|armv7|all] [--no-install] [--no-backend] [--no-zoo] [--install-only]
#
# For each target (default all): installs the cross compiler, qemu-user and the target's nanopb (and, aarch64,
# Google Benchmark) through multiarch (idempotent), configures a Release build with -DQINFER_WERROR=ON in
# build-cross-<target>/ using cmake/toolchains/, builds it, then runs under qemu
#   1. the kernel and op testers (ctest unit.*) once per emulated CPU model (QEMU_CPU): aarch64 max (+ dot product
#      + i8mm: every unit test), cortex-a53 (NEON) and cortex-a76 (+ dot product): the kernel testers; armv7
#      cortex-a7 (NEON + VFPv4: every unit test). Each model's ctest -V log
#      is kept in build-cross-<target>/unit-<model>.log and the ARM kernels its testers ran or reported skipped in
#      build-cross-<target>/kernel-paths-<model>.txt; the summary counts both per model;
#   2. the engine tests and the fuzz regression replay (ctest engine.*, fuzz.*) under max, the Python-driven ones
#      (engine.cli_input_sets, engine.fusion_vs_numpy) included: they put $QINFER_EMULATOR before qinfer;
#   3. an ISA check: for several emulated CPUs, which path auto-detection picks, that QINFER_ISA=scalar / neon
#      (and the other paths the CPU has) are accepted and give numpy's numbers on the engine test model, and
#      that paths the CPU lacks are refused;
#   4. static_check: tools/arm-static-check.sh <target> when it exists (runtime-only static builds);
#   5. the ONNX backend node tests (tests/backend/run_backend.py) against the cross-built `qinfer` CLI through a
#      wrapper script that execs qemu (-cpu max); skipped with --no-backend or when python3-onnx is missing;
#   6. the zoo on ARM (tests/zoo/arm_parity.py): each zoo model's INT8 file (quantized by the x86 build) run by the
#      x86 build and under qemu on each CPU model, bit-identical on the CNNs; FP32 against ONNX Runtime within the
#      zoo's tolerances. QINFER_CROSS_ZOO=ci (default) runs the CI subset below, =all every model, =0 (or --no-zoo)
#      nothing. Needs the x86 build's qinfer (build-release/, built here when missing, or QINFER_HOST_QINFER) and
#      the zoo in the cache (models/make_zoo.py + make_calib.py, run here: they skip what is up to date).
# The other suites that drive `qinfer` from ctest (backend.*, cli.*, zoo.*, quant.*, ops_ort) are not run by ctest
# here: items 5 and 6 cover the backend and the zoo.
#
# Environment: QINFER_CACHE (backend test data and the zoo, default <repo>/.cache), QINFER_CROSS_PRIVATE_SYSROOT=1
# (take the target's nanopb from an extracted .deb instead of installing it through multiarch; done automatically
# when the multiarch install fails), QINFER_CROSS_ZOO (above), QINFER_HOST_QINFER, JOBS (default nproc).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
JOBS="${JOBS:-$(nproc)}"
PY=/usr/bin/python3

CACHE="${QINFER_CACHE:-$REPO/.cache}"
ZOO="${QINFER_CROSS_ZOO:-ci}"

targets=()
install=1
install_only=0
backend=1
for arg in "$@"; do
  case "$arg" in
    aarch64|armv7) targets+=("$arg") ;;
    all) targets+=(aarch64 armv7) ;;
    --no-install) install=0 ;;
    --install-only) install_only=1 ;;
    --no-backend) backend=0 ;;
    --no-zoo) ZOO=0 ;;
    -h|--help) sed -n '2,34p' "$0"; exit 0 ;;
    *) echo "cross-test.sh: unknown argument: $arg (want aarch64, armv7, all, --no-install, --install-only," \
            "--no-backend, --no-zoo)" >&2; exit 2 ;;
  esac
done
((${#targets[@]})) || targets=(aarch64 armv7)
case "$ZOO" in ci|all|0) ;; *) echo "cross-test.sh: QINFER_CROSS_ZOO=$ZOO (want ci, all or 0)" >&2; exit 2 ;; esac

# Per target: Debian architecture, GNU triplet, qemu program, the CPU models the unit testers run on, and the zoo
# on ARM: which models (CI subset / all), on which CPU models for INT8 (bits against x86) and FP32 (against ORT).
# The CI subset (docs/porting.md has the times): aarch64 MobileNetV2 (inverted residuals, depthwise), ResNet-18
# (plain 3x3 convolutions, the INT8 GEMM's big K) and PP-OCR cls (a small CNN of other shapes); armv7 MobileNetV2
# and ResNet-18 (the issue's must-have).
target_vars() {
  case "$1" in
    aarch64)
      DEB_ARCH=arm64 TRIPLET=aarch64-linux-gnu QEMU=qemu-aarch64
      UNIT_CPUS=(max cortex-a76 cortex-a53)
      ZOO_CI=mobilenet_v2,resnet18,ppocr_cls ZOO_ALL=all
      ZOO_INT8_CPUS=cortex-a53,cortex-a76,max ZOO_FP32_CPUS=max,cortex-a53 ;;
    armv7)
      DEB_ARCH=armhf TRIPLET=arm-linux-gnueabihf QEMU=qemu-arm
      UNIT_CPUS=(cortex-a7) # max has the same ARM ISAs here (NEON + VFPv4); engine, isa and backend run on it
      ZOO_CI=mobilenet_v2,resnet18 ZOO_ALL=mobilenet_v2,resnet18
      ZOO_INT8_CPUS=cortex-a7 ZOO_FP32_CPUS=cortex-a7 ;;
  esac
  # qemu-user with the cross libc as the target's root. LD_LIBRARY_PATH keeps the guest's ld.so (the cross one)
  # with its own libc: once libc6:<arch> is installed through multiarch (libbenchmark-dev:arm64 pulls it in), ld.so
  # finds /lib/<triplet>/libc.so.6 of another glibc build first, and pthread_create hangs (the two disagree on
  # ld.so's private data: glibc's stack-cache list).
  EMU=("$(command -v "$QEMU" || echo "$QEMU")" -L "/usr/$TRIPLET" -E "LD_LIBRARY_PATH=/usr/$TRIPLET/lib")
  TOOLCHAIN="$REPO/cmake/toolchains/$TRIPLET.cmake"
  BUILD="$REPO/build-cross-$1"
  SYSROOT="$BUILD/sysroot" # only used when nanopb comes from an extracted .deb
}

have_pkg() { dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'; }

apt_updated=0
apt_update() {
  ((apt_updated)) && return 0
  apt_updated=1
  # A mirror that serves one stale index makes apt-get update exit non-zero while every list we need is fine;
  # the install that follows is the real check.
  apt-get update -q || echo "cross-test: apt-get update reported errors; trying the install anyway" >&2
}

apt_install() {
  local missing=()
  for p in "$@"; do have_pkg "$p" || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  [[ $(id -u) -eq 0 ]] || { echo "cross-test: need root to install ${missing[*]}" >&2; return 1; }
  apt_update
  echo "cross-test: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

# The target's libprotobuf-nanopb.a (and its CMake package). libnanopb-dev is Multi-Arch: same, so Debian's
# multiarch installs it beside the host's copy; if that fails (or QINFER_CROSS_PRIVATE_SYSROOT=1), the .deb is
# downloaded and extracted into $SYSROOT, which the toolchain file searches through QINFER_CROSS_SYSROOT.
install_nanopb() {
  USE_SYSROOT=0
  if [[ "${QINFER_CROSS_PRIVATE_SYSROOT:-0}" != 1 ]]; then
    have_pkg "libnanopb-dev:$DEB_ARCH" && return 0
    if ((install)); then
      if ! dpkg --print-foreign-architectures | grep -qx "$DEB_ARCH"; then
        echo "cross-test: dpkg --add-architecture $DEB_ARCH"
        dpkg --add-architecture "$DEB_ARCH"
        apt_updated=0
      fi
      apt_install "libnanopb-dev:$DEB_ARCH" && return 0
      echo "cross-test: multiarch install of libnanopb-dev:$DEB_ARCH failed; using a private sysroot" >&2
    fi
  fi
  USE_SYSROOT=1
  [[ -f "$SYSROOT/usr/lib/$TRIPLET/libprotobuf-nanopb.a" ]] && return 0
  ((install)) || { echo "cross-test: no libnanopb-dev:$DEB_ARCH (run without --no-install)" >&2; return 1; }
  if ! dpkg --print-foreign-architectures | grep -qx "$DEB_ARCH"; then
    dpkg --add-architecture "$DEB_ARCH"
    apt_updated=0
  fi
  apt_update
  local dl
  dl="$(mktemp -d)"
  (cd "$dl" && apt-get download "libnanopb-dev:$DEB_ARCH")
  mkdir -p "$SYSROOT"
  dpkg-deb -x "$dl"/libnanopb-dev_*_"$DEB_ARCH".deb "$SYSROOT"
  rm -rf "$dl"
}

install_deps() { # target
  local common=(cmake make nanopb python3-protobuf qemu-user "gcc-$TRIPLET" "libc6-dev-$DEB_ARCH-cross")
  [[ $1 == aarch64 ]] && common+=("g++-$TRIPLET") # the aarch64 microbenchmarks (bench/, Google Benchmark is C++)
  if ((install)); then
    apt_install "${common[@]}"
  else
    for p in "${common[@]}"; do have_pkg "$p" || { echo "cross-test: $p is missing" >&2; return 1; }; done
  fi
  install_nanopb
  # Google Benchmark for the aarch64 microbenchmarks, through multiarch (the architecture was added above)
  if [[ $1 == aarch64 ]] && ! have_pkg "libbenchmark-dev:$DEB_ARCH"; then
    if ((install && !USE_SYSROOT)); then
      apt_install "libbenchmark-dev:$DEB_ARCH"
    else
      echo "cross-test: no libbenchmark-dev:$DEB_ARCH: the aarch64 microbenchmarks are not built" >&2
    fi
  fi
}

fails=0
results=()
note() { results+=("$1: $2"); }

# ---- ISA selection under emulated CPUs ----
# Each line: qemu -cpu model, the path auto-detection must pick, paths that must be accepted, paths refused.
isa_cases() {
  case "$1" in
    aarch64)
      echo "max neoni8mm scalar,neon,neondot,neoni8mm avx2"
      echo "cortex-a76 neondot scalar,neon,neondot neoni8mm"
      echo "cortex-a53 neon scalar,neon neondot,neoni8mm" ;;
    armv7)
      echo "max neon scalar,neon neondot,neoni8mm,avx2"
      echo "cortex-a7 neon scalar,neon neondot"
      echo "cortex-a15 neon scalar,neon neondot" ;;
  esac
}

isa_check() { # target
  local models="$BUILD/tests/engine_models" ok=1 cpu auto accept refuse isa out
  if [[ ! -f "$models/small_cnn.onnx" ]]; then
    echo "cross-test: $models missing (engine.make_models did not run)" >&2
    return 1
  fi
  while read -r cpu auto accept refuse; do
    local q=(timeout 120 "${EMU[@]}" -cpu "$cpu") # a hang fails the check instead of stalling
    out="$("${q[@]}" "$BUILD/tools/qinfer" run "$models/small_cnn.onnx" --input "x=$models/small_cnn.input.npy" 2>&1)" || true
    if [[ "$out" != *"(isa $auto,"* ]]; then
      echo "isa: -cpu $cpu: auto picked '$(grep -o 'isa [a-z0-9]*' <<<"$out" || echo "$out")', want $auto" >&2
      ok=0
    else
      echo "isa: -cpu $cpu: auto -> $auto"
    fi
    for isa in ${accept//,/ }; do
      out="$(QINFER_ISA=$isa "${q[@]}" "$BUILD/tools/qinfer" run "$models/small_cnn.onnx" \
               --input "x=$models/small_cnn.input.npy" 2>&1)" || true
      if [[ "$out" != *"(isa $isa,"* ]]; then
        echo "isa: -cpu $cpu: QINFER_ISA=$isa not honoured: $out" >&2
        ok=0
      elif ! QINFER_ISA=$isa "${q[@]}" "$BUILD/tests/test_model_vs_numpy" "$models" small_cnn 1e-5 >/dev/null 2>&1; then
        echo "isa: -cpu $cpu: QINFER_ISA=$isa: small_cnn differs from numpy" >&2
        ok=0
      else
        echo "isa: -cpu $cpu: QINFER_ISA=$isa runs and matches numpy"
      fi
    done
    for isa in ${refuse//,/ }; do
      out="$(QINFER_ISA=$isa "${q[@]}" "$BUILD/tools/qinfer" run "$models/small_cnn.onnx" \
               --input "x=$models/small_cnn.input.npy" 2>&1)" && { echo "isa: -cpu $cpu: $isa accepted" >&2; ok=0; }
      [[ "$out" == *"QINFER_ERR_UNSUPPORTED"* ]] || { echo "isa: -cpu $cpu: $isa: $out" >&2; ok=0; }
    done
    echo "isa: -cpu $cpu: refuses ${refuse//,/ }"
  done < <(isa_cases "$1")
  ((ok))
}

backend_check() { # target
  if ! "$PY" -c 'import onnx, numpy' 2>/dev/null; then
    echo "cross-test: $PY lacks onnx/numpy (tools/install-deps.sh installs them); backend tests skipped" >&2
    note "$1 backend" "skipped (no python3-onnx)"
    return 0
  fi
  local wrapper="$BUILD/qinfer-qemu"
  printf '#!/bin/sh\nexec %s -cpu max %s "$@"\n' "${EMU[*]}" \
    "$BUILD/tools/qinfer" >"$wrapper"
  chmod +x "$wrapper"
  local start=$SECONDS rc=0
  "$PY" tests/backend/run_backend.py --cache "${QINFER_CACHE:-$REPO/.cache}" --qinfer "$wrapper" --jobs "$JOBS" \
    --timeout 120 >"$BUILD/backend.log" 2>&1 || rc=$?
  tail -n 15 "$BUILD/backend.log"
  local summary
  summary="$(grep -E '[0-9]+ passed' "$BUILD/backend.log" | tail -n 1 || true)"
  if ((rc == 0)); then
    note "$1 backend" "passed in $((SECONDS - start)) s (${summary:-see $BUILD/backend.log})"
  else
    note "$1 backend" "FAILED (exit $rc) in $((SECONDS - start)) s: ${summary:-see $BUILD/backend.log}"
    fails=$((fails + 1))
  fi
}

# ---- kernel and op testers on each CPU model ----
# The ARM kernel names (qi_..._ukernel_...__neon / __neondot / __neoni8mm) in a ctest -V log, one line each:
# "NAME: tested", or "NAME: skipped (CPU lacks ...)" when the testers only ever reported it skipped.
kernel_paths() { # log
  sed -E 's/^[0-9]+: //' "$1" | grep -oE '(qi|test)_[a-z0-9_]+__neon(dot|i8mm)?\b.*' | awk '
    { name = $1; sub(/:$/, "", name)
      if ($0 ~ /: skipped/) { why = $0; sub(/^[^(]*/, "", why); skipped[name] = why } else tested[name] = 1 }
    END { for (n in tested) print n ": tested"
          for (n in skipped) if (!(n in tested)) print n ": skipped " skipped[n] }' | sort || true
}

# The ISA suffixes a CPU model lacks: its kernels must be reported skipped there, never run (and every other
# ARM kernel must run).
cpu_lacks() {
  case "$1" in
    cortex-a53) echo "neondot|neoni8mm" ;;
    cortex-a76) echo "neoni8mm" ;;
    *) echo "" ;; # max; armv7 cortex-a7 (NEON + VFPv4: the only ARM ISA armv7 builds)
  esac
}

# Every unit test runs on the target's first full model (aarch64 max, armv7 cortex-a7); the other aarch64 models run
# the kernel testers (and the ISA detection test), whose paths depend on the CPU. The op testers (test_ops_*)
# already run every ISA path the CPU has, forced one by one, so on max they cover what cortex-a53 / a76 would,
# and they are the costliest unit tests under qemu.
unit_tests() { # cpu -> ctest regex
  case "$1" in
    max|cortex-a7) echo '^unit\.' ;;
    *) echo '^unit\.test_(f32_|qu8_|x8_|isa$)' ;;
  esac
}

unit_on_cpu() { # target, cpu
  local log="$BUILD/unit-$2.log" paths="$BUILD/kernel-paths-$2.txt" start=$SECONDS rc=0 lacks wrong re
  re="$(unit_tests "$2")"
  echo "---- $1: ctest -R '$re' under QEMU_CPU=$2 (log: $log)"
  (cd "$BUILD" && QEMU_CPU=$2 ctest -V -j "$JOBS" -R "$re" >"$log" 2>&1) || rc=$?
  sed -n '/% tests passed/,$p' "$log"
  kernel_paths "$log" >"$paths"
  lacks="$(cpu_lacks "$2")"
  if [[ -n $lacks ]]; then
    wrong="$(grep -E "__($lacks): tested$" "$paths" || true)$(grep -vE "__($lacks): " "$paths" | grep ': skipped' || true)"
  else
    wrong="$(grep ': skipped' "$paths" || true)"
  fi
  if [[ -n $wrong ]]; then
    echo "cross-test: -cpu $2 lacks ${lacks:-nothing} of neon|neondot|neoni8mm, yet:" >&2
    echo "$wrong" >&2
    rc=1
  fi
  local what
  what="ARM kernels $(grep -c ': tested$' "$paths" || true) tested, $(grep -c ': skipped' "$paths" || true) skipped"
  if [[ -n $lacks ]]; then what+=" (__${lacks//|/, __} must be skipped"; else what+=" (none may be skipped"; fi
  what+="; list: $paths)"
  what="${re} ${what}"
  if ((rc == 0)); then
    note "$1 unit -cpu $2" "passed in $((SECONDS - start)) s; $what"
  else
    note "$1 unit -cpu $2" "FAILED in $((SECONDS - start)) s; $what"
    fails=$((fails + 1))
    local n # the last lines of each failed test's output ("N: ..." in the -V log)
    for n in $(sed -n '/tests FAILED:/,$p' "$log" | grep -oE '^[[:space:]]*[0-9]+ - ' | tr -dc '0-9\n'); do
      echo "---- output of test #$n, last 30 lines:"
      grep -E "^$n: " "$log" | tail -n 30
    done
  fi
}

# ---- runtime-only static builds: tools/arm-static-check.sh (issue 10, part A2) ----
static_check() { # target
  [[ -f tools/arm-static-check.sh ]] || return 0
  if bash tools/arm-static-check.sh "$1"; then note "$1 static" "ok"; else note "$1 static" "FAILED"; fails=$((fails + 1)); fi
}

# ---- the zoo on ARM (tests/zoo/arm_parity.py) ----
host_qinfer() { # sets HOST_QINFER: the x86 build's qinfer, built in build-release/ when missing
  HOST_QINFER="${QINFER_HOST_QINFER:-$REPO/build-release/tools/qinfer}"
  [[ -x "$HOST_QINFER" ]] && return 0
  [[ -z "${QINFER_HOST_QINFER:-}" ]] || { echo "cross-test: QINFER_HOST_QINFER=$HOST_QINFER is not an executable" >&2; return 1; }
  echo "cross-test: building the x86 qinfer in build-release/ for the zoo check"
  cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DQINFER_WERROR=ON >/dev/null &&
    cmake --build build-release -j "$JOBS" --target qinfer
}

zoo_check() { # target
  local models=$ZOO_CI start=$SECONDS rc=0 log="$BUILD/zoo-arm.log" sel=() m
  if [[ $ZOO == all ]]; then models=$ZOO_ALL; fi
  if [[ $models == all ]]; then models=$("$PY" models/make_zoo.py --list | paste -sd ,); fi
  for m in ${models//,/ }; do sel+=(--model "$m"); done
  echo "---- $1: the zoo on ARM ($models; log: $log)"
  # the zoo and its calibration samples: the x86 suite made them already (both scripts skip what is up to date)
  if ! host_qinfer || ! "$PY" models/make_zoo.py --cache "$CACHE" --only "$models" ||
     ! "$PY" models/make_calib.py --cache "$CACHE" --only "$models"; then
    note "$1 zoo" "FAILED: no x86 qinfer or no zoo"
    fails=$((fails + 1))
    return 0
  fi
  "$PY" tests/zoo/arm_parity.py --host-qinfer "$HOST_QINFER" --target-qinfer "$BUILD/tools/qinfer" \
    --emulator "${EMU[*]}" --int8-cpus "$ZOO_INT8_CPUS" --fp32-cpus "$ZOO_FP32_CPUS" \
    --cache "$CACHE" --work "$BUILD/zoo-arm" "${sel[@]}" >"$log" 2>&1 || rc=$?
  cat "$log"
  local summary
  summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || true)"
  if ((rc == 0)); then
    note "$1 zoo ($models)" "passed in $((SECONDS - start)) s: ${summary:-see $log}; INT8 bits vs x86 on $ZOO_INT8_CPUS, FP32 vs ORT on $ZOO_FP32_CPUS"
  else
    note "$1 zoo ($models)" "FAILED (exit $rc) in $((SECONDS - start)) s: ${summary:-see $log}"
    fails=$((fails + 1))
  fi
}

for t in "${targets[@]}"; do
  target_vars "$t"
  t0=$SECONDS
  echo "==== cross-test: $t ($TRIPLET) ===="
  install_deps "$t"
  ((install_only)) && continue
  extra=()
  if ((USE_SYSROOT)); then extra+=("-DQINFER_CROSS_SYSROOT=$SYSROOT"); fi
  cmake -S . -B "$BUILD" --toolchain "$TOOLCHAIN" -DCMAKE_BUILD_TYPE=Release -DQINFER_WERROR=ON \
    -DQINFER_TEST_CACHE="$CACHE" "${extra[@]}" >/dev/null
  cmake --build "$BUILD" -j "$JOBS"
  note "$t build" "Release, -Werror: ok in $((SECONDS - t0)) s"

  for cpu in "${UNIT_CPUS[@]}"; do unit_on_cpu "$t" "$cpu"; done

  t1=$SECONDS
  if (cd "$BUILD" && QEMU_CPU=max ctest --output-on-failure -j "$JOBS" --timeout 900 -R '^(engine|fuzz)\.'); then
    note "$t engine/fuzz -cpu max" "passed in $((SECONDS - t1)) s"
  else
    note "$t engine/fuzz -cpu max" "FAILED"
    fails=$((fails + 1))
  fi

  if isa_check "$t"; then note "$t isa" "ok"; else note "$t isa" "FAILED"; fails=$((fails + 1)); fi

  static_check "$t"

  if ((backend)); then backend_check "$t"; fi
  if [[ $ZOO != 0 ]]; then zoo_check "$t"; fi
  note "$t total" "$((SECONDS - t0)) s"
done
((install_only)) && exit 0

echo "==== cross-test summary ===="
printf '  %s\n' "${results[@]}"
if ((fails)); then
  echo "cross-test: $fails check(s) failed"
  exit 1
fi
echo "cross-test: all checks passed"
