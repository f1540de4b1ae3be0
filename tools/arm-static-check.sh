#!/usr/bin/env bash
# The board build, checked under qemu (docs/deploy-arm.md): the runtime-only static configuration of one ARM target.
#
#   tools/arm-static-check.sh <aarch64|armv7> [--no-install] [--no-bench]
#
# In build-arm-static-<target>/ (its own folder; only the targets it needs):
#   1. builds libqinfer.a and a static `qinfer` with -DQINFER_WITH_QUANTIZER=OFF -DQINFER_OPTIMIZE_SIZE=ON
#      -DQINFER_STATIC_CLI=ON (Release, -Werror), and on aarch64 the microbenchmarks (qinfer_microbench);
#   2. size: libqinfer.a's text (`size -t`) must be at most 450 KB (460,800 bytes) on aarch64 (issue 10's 400 KB, raised
#      by issue 11's three kernel families: docs/deploy-arm.md); armv7's is
#      printed; `file` must say the CLI is statically linked;
#   3. runs the CLI under qemu WITHOUT -L and with an empty environment (nothing of the target installed), on each
#      emulated CPU model: `qinfer run` on the engine test model small_cnn (FP32: within 1e-5 of the x86 build's
#      outputs and of numpy's) and on its INT8 version, quantized here by the x86 build (logits, the integer
#      graph's output, byte-identical to the x86 build's .npy file; prob, a float Softmax, within 1e-5), then
#      `qinfer bench` on both; `qinfer quantize` must fail with exit 1 and say
#      it is not part of this build, and `qinfer --version` must say the build is runtime-only;
#   4. aarch64: qinfer_microbench under qemu (-cpu max) as a smoke test, each kernel once at its first shape
#      (QINFER_BENCH_ONE_SHAPE=1, --benchmark_min_time=0.001) with tests/bench_check.cmake's checks: exit 0, no
#      benchmark failed, every kernel of libqinfer.a's config tables benchmarked or listed as skipped. Needs
#      Google Benchmark for arm64 (Debian multiarch libbenchmark-dev:arm64) and g++-aarch64-linux-gnu, which the
#      script installs when it runs as root (not with --no-install); --no-bench leaves this step out.
# The reference outputs come from the x86 build in $QINFER_HOST_BUILD (default build-release/; its `qinfer`
# target is brought up to date first). Exits non-zero when a check failed.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
JOBS="${JOBS:-$(nproc)}"
PY=/usr/bin/python3
SIZE_LIMIT=460800 # bytes of text, aarch64

target="" install=1 bench=1
for arg in "$@"; do
  case "$arg" in
    aarch64|armv7) target="$arg" ;;
    --no-install) install=0 ;;
    --no-bench) bench=0 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "arm-static-check.sh: unknown argument: $arg (want aarch64 or armv7, --no-install, --no-bench)" >&2; exit 2 ;;
  esac
done
[[ -n "$target" ]] || { echo "usage: tools/arm-static-check.sh <aarch64|armv7> [--no-install] [--no-bench]" >&2; exit 2; }
case "$target" in
  aarch64) TRIPLET=aarch64-linux-gnu QEMU=qemu-aarch64 DEB_ARCH=arm64 CPUS=(cortex-a53 cortex-a76 max) ;;
  armv7) TRIPLET=arm-linux-gnueabihf QEMU=qemu-arm DEB_ARCH=armhf CPUS=(cortex-a7 max) bench=0 ;;
esac
BUILD="$REPO/build-arm-static-$target"
HOST="${QINFER_HOST_BUILD:-$REPO/build-release}"
start=$SECONDS
failed=0
fail() { echo "arm-static-check: FAIL: $*" >&2; failed=1; }
step() { echo "== arm-static-check $target: $* ($((SECONDS - start)) s)"; }

if ((bench)) && { ! dpkg -s "libbenchmark-dev:$DEB_ARCH" >/dev/null 2>&1 || ! command -v "$TRIPLET-g++" >/dev/null; }; then
  if ((bench && install)) && [[ $(id -u) == 0 ]]; then
    step "installing libbenchmark-dev:$DEB_ARCH g++-$TRIPLET"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "libbenchmark-dev:$DEB_ARCH" \
      "g++-$TRIPLET" >/dev/null
  elif ((bench)); then
    fail "microbenchmarks: libbenchmark-dev:$DEB_ARCH or $TRIPLET-g++ missing (run as root without --no-install, or --no-bench)"
    bench=0
  fi
fi

step "configure and build"
mkdir -p "$BUILD"
bench_opt=OFF
((bench)) && bench_opt=ON
cmake -S . -B "$BUILD" --toolchain "cmake/toolchains/$TRIPLET.cmake" -DCMAKE_BUILD_TYPE=Release -DQINFER_WERROR=ON \
  -DQINFER_WITH_QUANTIZER=OFF -DQINFER_OPTIMIZE_SIZE=ON -DQINFER_STATIC_CLI=ON -DQINFER_BUILD_TESTS=OFF \
  -DQINFER_BUILD_BENCH=$bench_opt >"$BUILD/configure.log" 2>&1 || { cat "$BUILD/configure.log" >&2; exit 1; }
targets=(qinfer_static qinfer)
((bench)) && targets+=(qinfer_microbench)
cmake --build "$BUILD" -j "$JOBS" --target "${targets[@]}"
step "the x86 reference CLI in $HOST"
[[ -f "$HOST/CMakeCache.txt" ]] || cmake -S . -B "$HOST" -DCMAKE_BUILD_TYPE=Release -DQINFER_WERROR=ON >/dev/null
cmake --build "$HOST" -j "$JOBS" --target qinfer >/dev/null # up to date with the sources compared

step "size"
text=$("$TRIPLET-size" -t "$BUILD/libqinfer.a" | awk '/TOTALS/ {print $1}')
if [[ $target == aarch64 ]]; then
  echo "libqinfer.a text: $text bytes (limit $SIZE_LIMIT; headroom $((SIZE_LIMIT - text)))"
  ((text <= SIZE_LIMIT)) || fail "libqinfer.a has $text bytes of text, above $SIZE_LIMIT"
else
  echo "libqinfer.a text: $text bytes"
fi
"$TRIPLET-size" "$BUILD/tools/qinfer"
file "$BUILD/tools/qinfer" | grep -q 'statically linked' || fail "tools/qinfer is not statically linked: $(file "$BUILD/tools/qinfer")"

step "models"
M="$BUILD/check-models"
rm -rf "$M" && mkdir -p "$M/calib" "$M/ref-fp32" "$M/ref-int8"
"$PY" tests/engine/make_models.py "$M" >/dev/null
# One calibration sample per batch item of the test input: small_cnn.input.npy is [2,3,16,16].
"$PY" -c 'import numpy as np, sys; x = np.load(sys.argv[1]); [np.save(f"{sys.argv[2]}/s{i}.npy", x[i:i+1]) for i in range(len(x))]' \
  "$M/small_cnn.input.npy" "$M/calib"
"$HOST/tools/qinfer" quantize "$M/small_cnn.onnx" -o "$M/small_cnn.int8.onnx" --calib "$M/calib" >/dev/null
"$HOST/tools/qinfer" run "$M/small_cnn.onnx" --input "x=$M/small_cnn.input.npy" --output-dir "$M/ref-fp32" >/dev/null
"$HOST/tools/qinfer" run "$M/small_cnn.int8.onnx" --input "x=$M/small_cnn.input.npy" --output-dir "$M/ref-int8" >/dev/null

# The CLI alone: qemu with no -L (no target libraries) and an empty environment.
qemu_run() { # CPU ARGS...
  local cpu="$1"
  shift
  (cd "$M" && env -i "QEMU_CPU=$cpu" timeout 300 "$QEMU" "$BUILD/tools/qinfer" "$@")
}
for cpu in "${CPUS[@]}"; do
  step "qemu -cpu $cpu, no -L"
  for kind in fp32 int8; do
    model=small_cnn.onnx
    [[ $kind == int8 ]] && model=small_cnn.int8.onnx
    out="$M/$cpu-$kind"
    rm -rf "$out"
    if ! log=$(qemu_run "$cpu" run "$model" --input x=small_cnn.input.npy --output-dir "$out" 2>&1); then
      fail "-cpu $cpu: qinfer run $model: $log"
      continue
    fi
    echo "$kind: $(grep '^run' <<<"$log")"
    for ref in "$M/ref-$kind"/*.npy; do
      got="$out/$(basename "$ref")"
      # The INT8 model's logits come out of the integer graph (a dequantized Gemm): the same bits on every ISA.
      # Its prob is a Softmax the quantizer keeps in float, held to a tolerance like the FP32 model's outputs.
      if [[ $kind == int8 && $(basename "$ref") == logits.npy ]]; then
        cmp -s "$ref" "$got" || fail "-cpu $cpu: $model: $(basename "$ref") is not byte-identical to the x86 build's"
      else
        "$PY" -c 'import numpy as np, sys; a, b = np.load(sys.argv[1]), np.load(sys.argv[2]); sys.exit(0 if a.shape == b.shape and np.allclose(a, b, rtol=1e-5, atol=1e-5) else 1)' \
          "$ref" "$got" || fail "-cpu $cpu: $model: $(basename "$ref") differs from the x86 build's by more than 1e-5"
      fi
    done
    if [[ $kind == fp32 ]]; then
      "$PY" -c 'import numpy as np, sys; a, b = np.load(sys.argv[1]), np.load(sys.argv[2]); sys.exit(0 if np.allclose(a, b, rtol=1e-5, atol=1e-5) else 1)' \
        "$M/small_cnn.expected.npy" "$out/prob.npy" || fail "-cpu $cpu: small_cnn's prob differs from numpy's"
    fi
    log=$(qemu_run "$cpu" bench "$model" --runs 2 --warmup 1 2>&1) || fail "-cpu $cpu: qinfer bench $model: $log"
    grep -q '^median' <<<"$log" || fail "-cpu $cpu: qinfer bench $model printed no median: $log"
  done
done
set +e
log=$(qemu_run max quantize small_cnn.onnx -o x.onnx --calib calib 2>&1)
rc=$?
set -e
[[ $rc == 1 && $log == *"not part of this build"* ]] || fail "qinfer quantize: exit $rc, '$log' (want 1 and 'not part of this build')"
log=$(qemu_run max --version 2>&1) || fail "qinfer --version: $log"
[[ $log == *"runtime-only build"* ]] || fail "qinfer --version does not say the build is runtime-only: $log"

if ((bench)); then
  step "microbenchmarks under qemu -cpu max (each kernel once)"
  QINFER_BENCH_ONE_SHAPE=1 QEMU_CPU=max cmake -DBENCH="$BUILD/bench/qinfer_microbench" -DLIB="$BUILD/libqinfer.a" \
    -DNM="$TRIPLET-nm" -DOUT="$BUILD/bench_smoke.json" "-DEMULATOR=$QEMU;-L;/usr/$TRIPLET;-E;LD_LIBRARY_PATH=/usr/$TRIPLET/lib" \
    -P tests/bench_check.cmake || fail "microbenchmarks (tests/bench_check.cmake)"
fi

step "done"
if ((failed)); then
  echo "arm-static-check $target: FAILED"
  exit 1
fi
echo "arm-static-check $target: passed"
