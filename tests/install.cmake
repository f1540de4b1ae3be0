# install.consumers: `cmake --install` into a fresh prefix under the build folder, then docs/example.c built
# against the installed tree with pkg-config, with a CMake project's find_package(qinfer CONFIG), with the plain
# `cc ... -lqinfer` line, and from the build tree with the line docs/example.c gives; each program runs on the
# CLI tests' small model (cli.setup, tests/api.cmake) and must print its known outputs. About 3 s.
# Not registered when cross-compiling (the programs would need the emulator, the consumer the toolchain) or in
# fuzz builds (the library's objects need the fuzzer's coverage runtime).
if(CMAKE_CROSSCOMPILING OR QINFER_BUILD_FUZZ OR NOT TARGET qinfer)
  return()
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  message(STATUS "install.consumers: off (absolute CMAKE_INSTALL_LIBDIR / INCLUDEDIR cannot move to a test prefix)")
  return()
endif()
find_program(QI_PKG_CONFIG pkg-config)
if(NOT QI_PKG_CONFIG)
  qi_test_suite_unavailable("install.consumers: no pkg-config, the install test is off (tools/install-deps.sh)")
  return()
endif()

# The consumers are compiled with the library's compiler and flags (a Sanitize build's libqinfer.a needs the
# sanitizer runtimes at link time).
string(TOUPPER "${CMAKE_BUILD_TYPE}" _qi_type)
string(STRIP "${CMAKE_C_FLAGS} ${CMAKE_C_FLAGS_${_qi_type}}" _qi_consumer_flags)
set(_qi_model "")
set(_qi_expected "")
if(TEST cli.setup)
  set(_qi_model ${QI_CLI_DIR}/add.onnx)
  set(_qi_expected "z/out:0: float [1, 4] 1 1 1 1\nm: float [1, 8] 4.8 5.2 5.6 6 6.4 ...")
endif()
add_test(NAME install.consumers
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/install/check_install.sh ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/install_check ${CMAKE_COMMAND} $<CONFIG> ${CMAKE_C_COMPILER}
                 "${_qi_consumer_flags}" ${CMAKE_INSTALL_LIBDIR} ${CMAKE_INSTALL_INCLUDEDIR} ${CMAKE_GENERATOR}
                 $<TARGET_FILE:qinfer_static> ${_qi_model} ${_qi_expected})
set_tests_properties(install.consumers PROPERTIES LABELS install TIMEOUT 300
                     FAIL_REGULAR_EXPRESSION "Sanitizer|runtime error")
if(_qi_model)
  set_tests_properties(install.consumers PROPERTIES FIXTURES_REQUIRED qi_cli_data)
endif()
