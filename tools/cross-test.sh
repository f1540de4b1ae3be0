#!/usr/bin/env bash
# Cross-builds qinfer for ARM Linux and runs its tests under qemu-user, on a Debian 12 x86-64 machine (as root).
# Not part of tools/run-tests.sh (CI time); docs/porting.md explains the setup.
#
#   tools/cross-test.sh [aarch64|armv7|all] [--no-install] [--no-backend]
#
# For each target (default all): installs the cross compiler, qemu-user and the target's nanopb runtime
# (idempotent), configures a Release build with -DQINFER_WERROR=ON in build-cross-<target>/ using
# cmake/toolchains/, builds it, then runs under qemu
#   1. the C unit tests, the engine tests and the fuzz regression replay (ctest: unit.*, engine.*, fuzz.*);
#   2. an ISA check: for several emulated CPUs, which path auto-detection picks, that QINFER_ISA=scalar / neon
#      (and the other paths the CPU has) are accepted and give numpy's numbers on the engine test model, and
#      that paths the CPU lacks are refused;
#   3. the ONNX backend node tests (tests/backend/run_backend.py) against the cross-built `qinfer` CLI through a
#      wrapper script that execs qemu; skipped with --no-backend or when python3-onnx is missing.
# The suites that drive the host `qinfer` from ctest (backend.*, cli.*, zoo.*, ops_ort) are not run by ctest:
# they execute the binary directly, which needs qemu's binfmt_misc registration (not available in containers).
#
# Environment: QINFER_CACHE (backend test data, default <repo>/.cache), QINFER_CROSS_PRIVATE_SYSROOT=1 (take the
# target's nanopb from an extracted .deb instead of installing it through multiarch; done automatically when
# the multiarch install fails), JOBS (default nproc).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
JOBS="${JOBS:-$(nproc)}"
PY=/usr/bin/python3

targets=()
install=1
backend=1
for arg in "$@"; do
  case "$arg" in
    aarch64|armv7) targets+=("$arg") ;;
    all) targets+=(aarch64 armv7) ;;
    --no-install) install=0 ;;
    --no-backend) backend=0 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "cross-test.sh: unknown argument: $arg (want aarch64, armv7, all, --no-install, --no-backend)" >&2; exit 2 ;;
  esac
done
((${#targets[@]})) || targets=(aarch64 armv7)

# Per target: Debian architecture, GNU triplet, toolchain file, qemu program, compiler package.
target_vars() {
  case "$1" in
    aarch64) DEB_ARCH=arm64 TRIPLET=aarch64-linux-gnu QEMU=qemu-aarch64 ;;
    armv7) DEB_ARCH=armhf TRIPLET=arm-linux-gnueabihf QEMU=qemu-arm ;;
  esac
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

install_deps() {
  local common=(cmake make nanopb python3-protobuf qemu-user "gcc-$TRIPLET" "libc6-dev-$DEB_ARCH-cross")
  if ((install)); then
    apt_install "${common[@]}"
  else
    for p in "${common[@]}"; do have_pkg "$p" || { echo "cross-test: $p is missing" >&2; return 1; }; done
  fi
  install_nanopb
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
    local q=(timeout 120 "$QEMU" -L "/usr/$TRIPLET" -cpu "$cpu") # a hang fails the check instead of stalling
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
  printf '#!/bin/sh\nexec %s -L /usr/%s -cpu max %s "$@"\n' "$(command -v "$QEMU")" "$TRIPLET" \
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

for t in "${targets[@]}"; do
  target_vars "$t"
  t0=$SECONDS
  echo "==== cross-test: $t ($TRIPLET) ===="
  install_deps
  extra=()
  if ((USE_SYSROOT)); then extra+=("-DQINFER_CROSS_SYSROOT=$SYSROOT"); fi
  cmake -S . -B "$BUILD" --toolchain "$TOOLCHAIN" -DCMAKE_BUILD_TYPE=Release -DQINFER_WERROR=ON "${extra[@]}" >/dev/null
  cmake --build "$BUILD" -j "$JOBS"
  note "$t build" "Release, -Werror: ok in $((SECONDS - t0)) s"

  t1=$SECONDS
  if (cd "$BUILD" && ctest --output-on-failure -j "$JOBS" --timeout 300 -R '^(unit|engine|fuzz)\.'); then
    note "$t ctest unit/engine/fuzz" "passed in $((SECONDS - t1)) s"
  else
    note "$t ctest unit/engine/fuzz" "FAILED"
    fails=$((fails + 1))
  fi

  if isa_check "$t"; then note "$t isa" "ok"; else note "$t isa" "FAILED"; fails=$((fails + 1)); fi

  if ((backend)); then backend_check "$t"; fi
  note "$t total" "$((SECONDS - t0)) s"
done

echo "==== cross-test summary ===="
printf '  %s\n' "${results[@]}"
if ((fails)); then
  echo "cross-test: $fails check(s) failed"
  exit 1
fi
echo "cross-test: all checks passed"
