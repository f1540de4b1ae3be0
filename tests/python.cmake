# The Python package (python/, docs/python.md) over the shared library, tests/python/run_python.py --case X:
#   python.install  tools/install-python.sh into a fresh venv and a --target folder; from each, outside the repo, the
#                   installed package and the library copied inside it run a model against numpy
#   python.api      Model / Session against numpy, errors (the package's checks and qinfer's messages), intermediates,
#                   views, profiling, library lookup, parity's ImportError, a leak check
#   python.quant    quantize() / compare() against the CLI and numpy (needs the quantizer)
#   python.zoo      MobileNetV2 against ONNX Runtime (label zoo too: needs the zoo and node)
#   python.backend  ONNX backend node tests against their expected outputs
# Label "python".

if(CMAKE_CROSSCOMPILING)
  message(STATUS "qinfer: python tests skipped (cross build: the host's python cannot load the target's library)")
  return()
endif()
if(NOT TARGET qinfer_shared OR NOT TARGET qinfer)
  qi_test_suite_unavailable("qinfer: python tests disabled (no qinfer_shared / qinfer target)")
  return()
endif()
# Sanitize: python3 is not instrumented, so the ASan runtime the library needs is preloaded (gcc's; it must come
# first); Python's own allocations at exit are not the library's leaks, so LeakSanitizer is off (the api case's
# leak check measures resident memory instead, and skips itself under ASan, whose quarantine holds freed memory).
set(_qi_py_env)
if(CMAKE_BUILD_TYPE STREQUAL "Sanitize")
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libasan.so OUTPUT_VARIABLE _qi_asan
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT IS_ABSOLUTE "${_qi_asan}" OR NOT EXISTS "${_qi_asan}")
    qi_test_suite_unavailable("qinfer: python tests disabled (Sanitize build: no ASan runtime to preload from ${CMAKE_C_COMPILER})")
    return()
  endif()
  set(_qi_py_env "LD_PRELOAD=${_qi_asan}" "ASAN_OPTIONS=detect_leaks=0")
endif()
execute_process(COMMAND ${QINFER_TEST_PYTHON} -c
                  "import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ('onnx', 'numpy', 'venv', 'pip', 'setuptools', 'wheel')) else 1)"
                RESULT_VARIABLE _qi_py_rc OUTPUT_QUIET ERROR_QUIET)
if(NOT _qi_py_rc EQUAL 0)
  qi_test_suite_unavailable("qinfer: python tests disabled (${QINFER_TEST_PYTHON} lacks onnx/numpy/venv/pip/setuptools/wheel: run tools/install-deps.sh)")
  return()
endif()

# python.install tests packaging, which Release covers: the Sanitize run leaves it out (pip under the preloaded
# ASan runtime only makes it slower)
if(CMAKE_BUILD_TYPE STREQUAL "Sanitize")
  set(_qi_py_cases api backend)
else()
  set(_qi_py_cases install api backend)
endif()
if(QINFER_WITH_QUANTIZER)
  list(APPEND _qi_py_cases quant)
else()
  message(STATUS "qinfer: python.quant skipped (QINFER_WITH_QUANTIZER=OFF)")
endif()
if(QINFER_NODE)
  list(APPEND _qi_py_cases zoo)
else()
  qi_test_suite_unavailable("qinfer: python.zoo disabled (no node: run tools/install-deps.sh)")
endif()
foreach(case ${_qi_py_cases})
  add_test(NAME python.${case}
           COMMAND ${QINFER_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/python/run_python.py --case ${case}
                   --lib $<TARGET_FILE:qinfer_shared> --qinfer $<TARGET_FILE:qinfer> --node "${QINFER_NODE}"
                   --cache ${QINFER_TEST_CACHE} --workdir ${CMAKE_CURRENT_BINARY_DIR}/python/${case})
  set_tests_properties(python.${case} PROPERTIES TIMEOUT 300 LABELS python ENVIRONMENT "${_qi_py_env}")
endforeach()
if(TEST python.zoo)
  set_tests_properties(python.zoo PROPERTIES FIXTURES_REQUIRED qi_zoo LABELS "python;zoo")
endif()
set_tests_properties(python.backend PROPERTIES FIXTURES_REQUIRED qi_backend_data)
