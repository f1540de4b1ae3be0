# Cross-compiling qinfer for 64-bit ARM Linux (aarch64, e.g. Raspberry Pi 3/4/5 with a 64-bit OS) on Debian.
#
#   cmake -S . -B build-aarch64 --toolchain cmake/toolchains/aarch64-linux-gnu.cmake
#
# Needs (Debian, see tools/cross-test.sh which installs them): gcc-aarch64-linux-gnu (the compiler, binutils
# and the target's libc in /usr/aarch64-linux-gnu), libnanopb-dev:arm64 (the target's nanopb runtime, through
# multiarch: `dpkg --add-architecture arm64`), and qemu-user for running tests on the build machine.
# The nanopb generator (Python) runs on the build machine; only libprotobuf-nanopb.a comes from the target.
# docs/porting.md has the details.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(QI_CROSS_TRIPLET aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${QI_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${QI_CROSS_TRIPLET}-g++)
# The cross binutils: CMakeLists.txt lists and extracts nanopb's objects with CMAKE_AR.
find_program(CMAKE_AR ${QI_CROSS_TRIPLET}-ar REQUIRED)
find_program(CMAKE_RANLIB ${QI_CROSS_TRIPLET}-ranlib REQUIRED)

# GCC 12 for aarch64 (Debian 12's cross compiler is 12.2) crashes at -O3 ("internal compiler error: in
# vect_transform_reduction") when it vectorizes a double fmax/fmin reduction over values widened from float,
# e.g. `for (...) m = fmax(m, fabs((double)y[i] - w[i]));` as several tests do. Calling libm's fmax/fmin
# instead of expanding the builtin keeps such loops scalar; the library uses double fmax/fmin only when it
# prepares a session, never in kernels, so this costs nothing measurable. GCC 13 and clang do not need it.
execute_process(COMMAND ${CMAKE_C_COMPILER} -dumpversion OUTPUT_VARIABLE QI_CROSS_GCC_VERSION
                OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(QI_CROSS_GCC_VERSION AND QI_CROSS_GCC_VERSION VERSION_LESS 13)
  set(CMAKE_C_FLAGS_INIT "-fno-builtin-fmax -fno-builtin-fmin")
endif()

# Debian multiarch: target libraries live in /usr/lib/aarch64-linux-gnu (libnanopb-dev:arm64 puts
# libprotobuf-nanopb.a and its CMake package there), the cross libc in /usr/aarch64-linux-gnu, and
# architecture-independent headers (pb.h, pb_decode.h) in /usr/include. Searching "/" is safe for libraries
# and packages because CMAKE_LIBRARY_ARCHITECTURE confines them to the lib/aarch64-linux-gnu subfolders
# (never the build machine's /usr/lib/x86_64-linux-gnu).
set(CMAKE_LIBRARY_ARCHITECTURE ${QI_CROSS_TRIPLET})
set(CMAKE_FIND_ROOT_PATH /usr/${QI_CROSS_TRIPLET} /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER) # programs (nanopb_generator.py, python3) run on the build machine
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
list(APPEND CMAKE_LIBRARY_PATH /usr/lib/${QI_CROSS_TRIPLET})
list(APPEND CMAKE_PREFIX_PATH /usr/lib/${QI_CROSS_TRIPLET}/cmake)
# Without multiarch: -DQINFER_CROSS_SYSROOT=DIR, a folder holding the target's libnanopb-dev .deb extracted
# with dpkg-deb -x (DIR/usr/lib/${QI_CROSS_TRIPLET}/libprotobuf-nanopb.a ...), is searched first.
if(QINFER_CROSS_SYSROOT)
  list(PREPEND CMAKE_FIND_ROOT_PATH ${QINFER_CROSS_SYSROOT})
endif()

# ctest (and add_test commands naming an executable target) run target programs through qemu-user, with no
# -cpu: qemu-user's default model is "max" (every feature: dotprod and i8mm, so every aarch64 dispatch level
# is reachable), and QEMU_CPU=<model> in the environment picks another one, as tools/cross-test.sh does to run
# the kernel testers on CPUs that lack features (QEMU_CPU=cortex-a53 ctest -R unit). Test scripts that start
# `qinfer` themselves get this command in $QINFER_EMULATOR (tests/CMakeLists.txt).
find_program(QI_QEMU_AARCH64 qemu-aarch64)
if(QI_QEMU_AARCH64)
  # -E LD_LIBRARY_PATH: the guest's ld.so (the cross libc's) must load its own libc.so.6, not a multiarch
  # libc6:<arch> of another glibc build in /lib/<triplet> (then pthread_create hangs: docs/porting.md).
  set(CMAKE_CROSSCOMPILING_EMULATOR ${QI_QEMU_AARCH64} -L /usr/${QI_CROSS_TRIPLET}
      -E LD_LIBRARY_PATH=/usr/${QI_CROSS_TRIPLET}/lib)
endif()
