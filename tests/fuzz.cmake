# Fuzzing. The target tests/fuzz/fuzz_model.c is replayed in every build over tests/fuzz/regressions/
# (inputs that once crashed); with -DQINFER_BUILD_FUZZ=ON and clang it is also built as a libFuzzer binary,
# which tools/fuzz.sh runs over a seed corpus.
add_executable(fuzz_replay ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/replay_main.c ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_model.c)
target_link_libraries(fuzz_replay PRIVATE qinfer_static)
file(GLOB QI_FUZZ_REGRESSIONS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/regressions/*)
add_test(NAME fuzz.regressions COMMAND fuzz_replay ${QI_FUZZ_REGRESSIONS})

if(QINFER_BUILD_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "QINFER_BUILD_FUZZ needs clang (cmake -DCMAKE_C_COMPILER=clang)")
  endif()
  add_executable(fuzz_model ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_model.c)
  target_link_libraries(fuzz_model PRIVATE qinfer_static)
  target_compile_options(fuzz_model PRIVATE -fsanitize=fuzzer)
  target_link_options(fuzz_model PRIVATE -fsanitize=fuzzer)
endif()
