# Fuzzing. Two targets: tests/fuzz/fuzz_loader.c (load and inspect a model) and tests/fuzz/fuzz_model.c (load,
# build a session, run it once). Both are replayed in every build over tests/fuzz/regressions/ (inputs that once
# crashed one of them); with -DQINFER_BUILD_FUZZ=ON and clang they are also built as libFuzzer binaries, which
# tools/fuzz.sh runs over a seed corpus (the README's test command runs it for a minute).
file(GLOB QI_FUZZ_REGRESSIONS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/regressions/*)
foreach(target loader model)
  add_executable(fuzz_replay_${target} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/replay_main.c
                                       ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_${target}.c)
  target_link_libraries(fuzz_replay_${target} PRIVATE qinfer_internal) # fuzz_model reads the session's MACs
  add_test(NAME fuzz.regressions.${target} COMMAND fuzz_replay_${target} ${QI_FUZZ_REGRESSIONS})

  if(QINFER_BUILD_FUZZ)
    if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
      message(FATAL_ERROR "QINFER_BUILD_FUZZ needs clang (cmake -DCMAKE_C_COMPILER=clang)")
    endif()
    add_executable(fuzz_${target} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_${target}.c)
    target_link_libraries(fuzz_${target} PRIVATE qinfer_internal)
    target_compile_options(fuzz_${target} PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz_${target} PRIVATE -fsanitize=fuzzer)
  endif()
endforeach()
