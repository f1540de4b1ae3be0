# Cross-compiling qinfer for 32-bit ARM Linux, hard-float (armv7-a with NEON, e.g. Raspberry Pi 2/3/4 with a
# 32-bit OS) on Debian.
#
#   cmake -S . -B build-armv7 --toolchain cmake/toolchains/arm-linux-gnueabihf.cmake
#
# Needs (Debian, see tools/cross-test.sh which installs them): gcc-arm-linux-gnueabihf, libnanopb-dev:armhf
# (multiarch: `dpkg --add-architecture armhf`) and qemu-user. docs/porting.md has the details.
# Debian's armhf baseline is armv7-a + VFPv3-D16 without NEON; these flags target armv7-a with NEON and
# VFPv4 (Cortex-A7 and later), so binaries built with this file need a NEON-capable core (every Raspberry Pi
# from the Pi 2 on; not the ARMv6 Pi 1 / Zero, nor VFPv3-only Cortex-A8/A9). For other cores pass your own
# -DCMAKE_C_FLAGS="-march=... -mfpu=... -mfloat-abi=hard", which replaces the flags below; kernels/isa.c checks
# HWCAP_NEON at run time, so a build without NEON in its base flags still picks NEON kernels only where present.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7-a)

set(QI_CROSS_TRIPLET arm-linux-gnueabihf)
set(CMAKE_C_COMPILER ${QI_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${QI_CROSS_TRIPLET}-g++)
find_program(CMAKE_AR ${QI_CROSS_TRIPLET}-ar REQUIRED)
find_program(CMAKE_RANLIB ${QI_CROSS_TRIPLET}-ranlib REQUIRED)

set(CMAKE_C_FLAGS_INIT "-march=armv7-a -mfpu=neon-vfpv4 -mfloat-abi=hard")
set(CMAKE_CXX_FLAGS_INIT "-march=armv7-a -mfpu=neon-vfpv4 -mfloat-abi=hard")

# Debian multiarch (see aarch64-linux-gnu.cmake): target libraries in /usr/lib/arm-linux-gnueabihf, the cross
# libc in /usr/arm-linux-gnueabihf, shared headers in /usr/include.
set(CMAKE_LIBRARY_ARCHITECTURE ${QI_CROSS_TRIPLET})
set(CMAKE_FIND_ROOT_PATH /usr/${QI_CROSS_TRIPLET} /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
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
# -cpu: qemu-user's default model is "max" (an ARMv8 core in AArch32 state: NEON and VFPv4, so the neon path is
# reachable), and QEMU_CPU=<model> in the environment picks another one, as tools/cross-test.sh does to run the
# kernel testers on a Cortex-A7 (QEMU_CPU=cortex-a7 ctest -R unit). Test scripts that start `qinfer` themselves
# get this command in $QINFER_EMULATOR (tests/CMakeLists.txt).
find_program(QI_QEMU_ARM qemu-arm)
if(QI_QEMU_ARM)
  # -E LD_LIBRARY_PATH: the guest's ld.so (the cross libc's) must load its own libc.so.6, not a multiarch
  # libc6:<arch> of another glibc build in /lib/<triplet> (then pthread_create hangs: docs/porting.md).
  set(CMAKE_CROSSCOMPILING_EMULATOR ${QI_QEMU_ARM} -L /usr/${QI_CROSS_TRIPLET}
      -E LD_LIBRARY_PATH=/usr/${QI_CROSS_TRIPLET}/lib)
endif()
