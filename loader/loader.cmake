# ONNX loader: loader/*.c plus the nanopb code generated from loader/onnx.proto at build time.
#
# Needs (Debian): nanopb (the generator, /usr/bin/nanopb_generator.py; it runs protoc from protobuf-compiler
# with python3-protobuf) and libnanopb-dev
# (pb_decode.h and the static runtime libprotobuf-nanopb.a with its CMake package). Debian ships no runtime
# sources, so the runtime is linked as a library (QI_LOADER_LIBS).
# Cross-compiling (e.g. arm64): the generator is Python and runs on the build machine; the runtime comes from
# the target's multiarch package (libnanopb-dev:arm64), which find_package finds under
# /usr/lib/<target-triplet>/cmake/nanopb once CMAKE_LIBRARY_ARCHITECTURE / the toolchain file point there.
#
# Outputs for CMakeLists.txt: QI_LOADER_SOURCES, QI_LOADER_INCLUDE_DIRS, QI_LOADER_DEPENDS, QI_LOADER_LIBS.

find_program(QI_NANOPB_GENERATOR NAMES nanopb_generator.py nanopb_generator REQUIRED)

find_package(nanopb CONFIG QUIET)
if(TARGET nanopb::protobuf-nanopb-static)
  set(QI_LOADER_LIBS nanopb::protobuf-nanopb-static)
else()
  find_library(QI_NANOPB_LIBRARY NAMES protobuf-nanopb REQUIRED)
  set(QI_LOADER_LIBS ${QI_NANOPB_LIBRARY})
endif()
find_path(QI_NANOPB_INCLUDE_DIR pb_decode.h REQUIRED)

set(QI_LOADER_GEN_DIR ${CMAKE_CURRENT_BINARY_DIR}/loader_gen)
set(QI_LOADER_PROTO ${CMAKE_CURRENT_SOURCE_DIR}/loader/onnx.proto)
set(QI_LOADER_PROTO_OPTIONS ${CMAKE_CURRENT_SOURCE_DIR}/loader/onnx.options)
add_custom_command(
  OUTPUT ${QI_LOADER_GEN_DIR}/onnx.pb.c ${QI_LOADER_GEN_DIR}/onnx.pb.h
  COMMAND ${CMAKE_COMMAND} -E make_directory ${QI_LOADER_GEN_DIR}
  COMMAND ${QI_NANOPB_GENERATOR} -q -I ${CMAKE_CURRENT_SOURCE_DIR}/loader -f ${QI_LOADER_PROTO_OPTIONS}
          -D ${QI_LOADER_GEN_DIR} ${QI_LOADER_PROTO}
  DEPENDS ${QI_LOADER_PROTO} ${QI_LOADER_PROTO_OPTIONS}
  COMMENT "nanopb: generating onnx.pb.c / onnx.pb.h"
  VERBATIM)
add_custom_target(qinfer_loader_proto DEPENDS ${QI_LOADER_GEN_DIR}/onnx.pb.c ${QI_LOADER_GEN_DIR}/onnx.pb.h)

file(GLOB QI_LOADER_C_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/loader/*.c)
set(QI_LOADER_SOURCES ${QI_LOADER_C_SOURCES} ${QI_LOADER_GEN_DIR}/onnx.pb.c)
set(QI_LOADER_INCLUDE_DIRS ${QI_LOADER_GEN_DIR} ${QI_NANOPB_INCLUDE_DIR})
set(QI_LOADER_DEPENDS qinfer_loader_proto)

# CMakeLists.txt links the runtime: target_link_libraries(qinfer_static PUBLIC ${QI_LOADER_LIBS}) and
# target_link_libraries(qinfer_shared PRIVATE ${QI_LOADER_LIBS}). For the shared library it should also add
#   target_link_options(qinfer_shared PRIVATE ${QI_LOADER_SHARED_LINK_OPTIONS})
# which keeps nanopb's pb_* symbols out of libqinfer.so's exports (no clash with an application's own nanopb).
set(QI_LOADER_SHARED_LINK_OPTIONS "LINKER:--exclude-libs,libprotobuf-nanopb.a")
