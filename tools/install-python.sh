#!/usr/bin/env bash
# Installs the qinfer Python package (python/: ctypes over libqinfer.so, numpy in and out) with Debian's python3
# and no network: builds the shared library (CMake target qinfer_shared) unless one is given, then pip-installs
# python/ with the library copied inside the package (docs/python.md).
#
#   tools/install-python.sh                    # into the virtual environment .venv (made with the system's
#                                              # site packages, for numpy), then: .venv/bin/python -c 'import qinfer'
#   tools/install-python.sh --venv DIR         # another virtual environment (made when missing)
#   tools/install-python.sh --target DIR       # plain folder (pip --target): PYTHONPATH=DIR python3 ...
#   --library FILE    use this libqinfer.so instead of building one
#   --build-dir DIR   the CMake build folder to build the library in (default build-release; configured as Release
#                     when it has no CMakeCache.txt)
#   --python PY       the interpreter (default /usr/bin/python3: Debian's, which has numpy)
# Needs python3-venv, python3-pip, python3-setuptools, python3-wheel and python3-numpy (tools/install-deps.sh).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$REPO/.venv" target="" library="" build="$REPO/build-release" py=/usr/bin/python3
die() { echo "install-python.sh: $*" >&2; exit 2; }
while (($#)); do
  case "$1" in
    --venv) venv="${2:?--venv needs a folder}"; target=""; shift 2 ;;
    --target) target="${2:?--target needs a folder}"; shift 2 ;;
    --library) library="${2:?--library needs a file}"; shift 2 ;;
    --build-dir) build="${2:?--build-dir needs a folder}"; shift 2 ;;
    --python) py="${2:?--python needs an interpreter}"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (--help lists them)" ;;
  esac
done

if [[ -z "$library" ]]; then
  if [[ ! -f "$build/CMakeCache.txt" ]]; then
    cmake -S "$REPO" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  cmake --build "$build" --target qinfer_shared -j"$(nproc)"
  library="$build/libqinfer.so"
fi
[[ -f "$library" ]] || die "no library at $library"
# pip builds in another folder: every path it gets is absolute
library="$(realpath "$library")" venv="$(realpath -m "$venv")"
[[ -z "$target" ]] || target="$(realpath -m "$target")"

# pip builds in the source folder: build from a copy, so the repository gets no build/ or egg-info litter.
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp -r "$REPO/python" "$stage/python"
rm -rf "$stage/python/build" "$stage/python"/*.egg-info "$stage/python/qinfer"/libqinfer.so*

"$py" -c "import numpy" 2>/dev/null || die "$py cannot import numpy (apt-get install python3-numpy)"
pip_args=(install --no-index --no-build-isolation --no-cache-dir --quiet --disable-pip-version-check --root-user-action=ignore)
if [[ -n "$target" ]]; then
  mkdir -p "$target"
  QINFER_LIBRARY="$library" "$py" -m pip "${pip_args[@]}" --upgrade --no-deps --target "$target" "$stage/python"
  echo "install-python.sh: qinfer installed in $target (PYTHONPATH=$target $py -c 'import qinfer')"
else
  if [[ ! -x "$venv/bin/python" ]]; then
    # Debian's pip (python3-pip) serves the venv through its system site packages; a pip of the venv's own
    # (ensurepip) is made only where the system has none
    if "$py" -m pip --version >/dev/null 2>&1; then
      "$py" -m venv --system-site-packages --without-pip "$venv"
    else
      "$py" -m venv --system-site-packages "$venv"
    fi
  fi
  QINFER_LIBRARY="$library" "$venv/bin/python" -m pip "${pip_args[@]}" --force-reinstall --no-deps "$stage/python"
  echo "install-python.sh: qinfer installed in $venv ($venv/bin/python -c 'import qinfer')"
fi
