#!/bin/sh
# ctest install.consumers (tests/install.cmake): `cmake --install` into a fresh prefix, check the layout, then
# build docs/example.c against the installed tree as docs/building.md documents it — pkg-config, a CMake project
# with find_package(qinfer CONFIG), the plain `cc ... -lqinfer` line — and as docs/example.c documents it from
# the build tree, and run every program on a small model: each must print the same, expected outputs.
#
#   check_install.sh BUILD_DIR SOURCE_DIR WORK_DIR CMAKE CONFIG CC "CFLAGS" LIBDIR INCLUDEDIR GENERATOR BUILD_TREE_LIBQINFER_A
#                    [MODEL EXPECTED]
#
# Nothing is downloaded; the compiler and flags are the build's own (CFLAGS: the sanitizers in a Sanitize build).
# shellcheck disable=SC2086 # $cc, $cflags and pkg-config's output are word lists: unquoted on purpose
set -eu
build=$1 src=$2 work=$3 cmake=$4 config=$5 cc=$6 cflags=$7 libdir=$8 incdir=$9
shift 9
generator=$1 build_static=$2 model=${3:-} expected=${4:-}

fail() { echo "FAIL: $*"; exit 1; }
step() { echo "== $*"; }

rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix

step "cmake --install $build --prefix $prefix"
"$cmake" --install "$build" --prefix "$prefix" --config "$config" >"$work/install.log" 2>&1 \
  || { cat "$work/install.log"; fail "cmake --install failed"; }

step "layout"
lib=$prefix/$libdir
for f in "$prefix/bin/qinfer" "$lib/libqinfer.a" "$lib/pkgconfig/qinfer.pc" "$lib/cmake/qinfer/qinferConfig.cmake" \
         "$lib/cmake/qinfer/qinferConfigVersion.cmake" "$lib/cmake/qinfer/qinferTargets.cmake"; do
  [ -f "$f" ] || fail "missing $f"
done
[ -x "$prefix/bin/qinfer" ] || fail "$prefix/bin/qinfer is not executable"
[ -L "$lib/libqinfer.so" ] || fail "$lib/libqinfer.so is not a symlink"
soname=$(readlink "$lib/libqinfer.so")
case $soname in libqinfer.so.[0-9]*) ;; *) fail "libqinfer.so -> $soname (want libqinfer.so.N)" ;; esac
[ -L "$lib/$soname" ] || fail "$lib/$soname is not a symlink"
real=$(readlink "$lib/$soname")
if [ ! -f "$lib/$real" ] || [ -L "$lib/$real" ]; then fail "$lib/$soname -> $real is not the library"; fi
for h in "$src"/include/*.h; do
  cmp -s "$h" "$prefix/$incdir/$(basename "$h")" || fail "public header $(basename "$h") not installed"
done
"$prefix/bin/qinfer" --version | grep -q '^qinfer [0-9]' || fail "installed qinfer --version"
echo "ok: bin/qinfer, $libdir/libqinfer.a, libqinfer.so -> $soname -> $real, $(ls "$prefix/$incdir" | tr '\n' ' ')"

example=$src/docs/example.c
bins=""
step "pkg-config"
command -v pkg-config >/dev/null || fail "pkg-config not found (tools/install-deps.sh installs it)"
pc_flags=$(PKG_CONFIG_PATH=$lib/pkgconfig pkg-config --static --cflags --libs qinfer) || fail "pkg-config qinfer"
echo "pkg-config --static --cflags --libs qinfer: $pc_flags"
case $pc_flags in *"-I$prefix/$incdir"*"-L$lib"*"-lqinfer"*"-lpthread"*"-lm"*) ;;
  *) fail "unexpected pkg-config flags" ;; esac
(cd "$work" && $cc $cflags "$example" $pc_flags -o example_pkgconfig) || fail "build with pkg-config flags"
bins="$bins example_pkgconfig"

step "plain cc -lqinfer"
(cd "$work" && $cc $cflags "$example" -I"$prefix/$incdir" -L"$lib" -lqinfer -lpthread -lm -o example_plain) \
  || fail "plain cc build"
bins="$bins example_plain"

step "build tree: cc docs/example.c -Iinclude $build_static -lpthread -lm"
(cd "$work" && $cc $cflags "$example" -I"$src/include" "$build_static" -lpthread -lm -o example_buildtree) \
  || fail "build-tree static build"
bins="$bins example_buildtree"

step "CMake find_package(qinfer CONFIG)"
"$cmake" -S "$src/tests/install/consumer" -B "$work/consumer" -G "$generator" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_C_FLAGS="$cflags" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" -DQI_EXAMPLE="$example" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$work/consumer.log" 2>&1 \
  || { cat "$work/consumer.log"; fail "consumer configure"; }
found=$(cat "$work/consumer/qinfer_dir.txt")
[ "$found" = "$lib/cmake/qinfer" ] || fail "find_package found $found, not the installed $lib/cmake/qinfer"
"$cmake" --build "$work/consumer" >>"$work/consumer.log" 2>&1 || { cat "$work/consumer.log"; fail "consumer build"; }
cp "$work/consumer/example_static" "$work/consumer/example_shared" "$work/"
bins="$bins example_static example_shared"
echo "ok: qinfer_DIR=$found"

# Which programs load libqinfer.so: the static ones must not, the others must.
if command -v readelf >/dev/null; then
  for b in $bins; do
    needs=no
    readelf -d "$work/$b" | grep -q 'NEEDED.*libqinfer\.so' && needs=yes
    case $b in example_static|example_buildtree) want=no ;; *) want=yes ;; esac
    [ $needs = $want ] || fail "$b: NEEDED libqinfer.so is $needs, want $want"
  done
  echo "ok: example_static, example_buildtree link libqinfer.a; the others libqinfer.so"
fi

if [ -z "$model" ]; then
  echo "built$bins; not run: no test model (python3 + onnx make it)"
  exit 0
fi
step "run on $model"
printf '%s\n' "$expected" >"$work/expected.txt"
for b in $bins; do
  rc=0
  LD_LIBRARY_PATH=$lib "$work/$b" "$model" >"$work/$b.out" 2>&1 || rc=$?
  [ $rc -eq 0 ] || { cat "$work/$b.out"; fail "$b exited $rc"; }
  cmp -s "$work/expected.txt" "$work/$b.out" || { cat "$work/$b.out"; fail "$b: output differs from expected"; }
done
cat "$work/expected.txt"
echo "install ok: ran$bins"
