# bench.smoke: runs every benchmark of qinfer_microbench (bench/) once for about a millisecond and checks that it
# exits with 0, that no benchmark reported an error, and that every kernel a config table refers to (the
# qi_..._<what>__<isa> symbols the kernels/*/config.c objects of libqinfer.a use) was benchmarked or listed as
# skipped, so the benchmarks cannot rot.
# Present when the microbenchmarks are built (QINFER_BUILD_BENCH ON, or AUTO with Google Benchmark found).
if(NOT TARGET qinfer_microbench)
  return()
endif()
add_test(NAME bench.smoke
         COMMAND ${CMAKE_COMMAND} -DBENCH=$<TARGET_FILE:qinfer_microbench> -DLIB=$<TARGET_FILE:qinfer_static>
                 -DNM=${CMAKE_NM} -DOUT=${CMAKE_CURRENT_BINARY_DIR}/bench_smoke.json
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/bench_check.cmake)
set_tests_properties(bench.smoke PROPERTIES LABELS bench TIMEOUT 300)
# The benchmarks see the kernels and nothing above them (bench/CMakeLists.txt's view).
qi_layer_probe(bench ${QI_VIEW_bench} kernels/isa.h engine/op.h)
qi_layer_probe(bench ${QI_VIEW_bench} kernels/isa.h qinfer.h)
