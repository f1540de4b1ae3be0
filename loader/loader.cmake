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

# CMakeLists.txt should link the runtime itself:
#   target_link_libraries(qinfer_static PUBLIC ${QI_LOADER_LIBS})
#   target_link_libraries(qinfer_shared PRIVATE ${QI_LOADER_LIBS})
# Until it does, the same is done at the end of the top-level directory (a no-op once those lines exist).
function(qi_loader_link_runtime)
  foreach(target_and_scope qinfer_static:PUBLIC qinfer_shared:PRIVATE)
    string(REPLACE ":" ";" pair ${target_and_scope})
    list(GET pair 0 target)
    list(GET pair 1 scope)
    if(TARGET ${target})
      get_target_property(libs ${target} LINK_LIBRARIES)
      if(NOT libs OR NOT "${QI_LOADER_LIBS}" IN_LIST libs)
        target_link_libraries(${target} ${scope} ${QI_LOADER_LIBS})
      endif()
    endif()
  endforeach()
endfunction()
if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.19)
  cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL qi_loader_link_runtime)
else()
  message(WARNING "CMake < 3.19: add target_link_libraries(... ${QI_LOADER_LIBS}) to CMakeLists.txt")
endif()
