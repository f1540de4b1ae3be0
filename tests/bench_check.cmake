# The check of bench.smoke (tests/bench.cmake): cmake -DBENCH=qinfer_microbench -DLIB=libqinfer.a -DNM=nm
#   -DOUT=file.json [-DEMULATOR="qemu-aarch64;-L;/usr/aarch64-linux-gnu"] -P bench_check.cmake
# (EMULATOR: the command that runs a cross-built BENCH, as tools/arm-static-check.sh passes it.)
execute_process(COMMAND ${EMULATOR} ${BENCH} --benchmark_min_time=0.001 --benchmark_out=${OUT} --benchmark_out_format=json
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "qinfer_microbench exited with ${rc}\n${err}\n${out}")
endif()
file(READ ${OUT} json)
if(json MATCHES "\"error_occurred\": true")
  string(REGEX MATCH "\"name\": \"[^\"]*\",[^}]*\"error_occurred\": true[^}]*" failed "${json}")
  message(FATAL_ERROR "a benchmark reported an error: ${failed}")
endif()

# Every kernel of every config table, from the library (not from the binary under test): the symbols
# qi_..._<what>__<isa> each kernels/<family>/config.c object refers to, however its source spells them (token
# pasting included). Nothing else those objects use is named that way (packers, params initialisers, qi_isa_*).
execute_process(COMMAND ${NM} -A ${LIB} RESULT_VARIABLE rc OUTPUT_VARIABLE symbols ERROR_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NM} -A ${LIB} failed (${rc})")
endif()
string(REGEX MATCHALL "config\\.c\\.o:[ ]+U qi_[A-Za-z0-9_]+__[a-z0-9]+" refs "${symbols}")
set(kernels "")
foreach(ref ${refs})
  string(REGEX REPLACE ".* U " "" name "${ref}")
  list(APPEND kernels ${name})
endforeach()
list(REMOVE_DUPLICATES kernels)
list(LENGTH kernels n_kernels)
if(n_kernels LESS 50)
  message(FATAL_ERROR "found only ${n_kernels} kernels referred to by the config objects of ${LIB}: the pattern "
                      "no longer matches")
endif()

set(missing "")
set(n_run 0)
set(n_skipped 0)
foreach(k ${kernels})
  string(FIND "${json}" "\"name\": \"${k}/" at_run)
  string(FIND "${json}" "\"skipped.${k}\"" at_skipped)
  if(NOT at_run EQUAL -1)
    math(EXPR n_run "${n_run} + 1")
  elseif(NOT at_skipped EQUAL -1)
    math(EXPR n_skipped "${n_skipped} + 1")
  else()
    list(APPEND missing ${k})
  endif()
endforeach()
if(missing)
  string(REPLACE ";" "\n  " missing "${missing}")
  message(FATAL_ERROR "kernels neither benchmarked nor listed as skipped (a config member bench/<family>.c does "
                      "not know yet?):\n  ${missing}")
endif()
string(REGEX MATCHALL "\"run_type\": \"iteration\"" runs "${json}")
list(LENGTH runs n_benchmarks)
message(STATUS "${n_kernels} kernels in the config tables of this build: ${n_run} benchmarked (${n_benchmarks} benchmarks), "
               "${n_skipped} skipped (listed in the context)")
