# ONNX backend node tests (tests/backend/run_backend.py, docs/testing.md): the node tests of Debian's python3-onnx
# whose ops are all in tests/backend/supported_ops.txt and that tests/backend/exclusions.txt does not exclude, run
# through the qinfer CLI. One ctest case per supported op (backend.<Op>, plus backend.other for expanded functions
# of ops we do not list), all needing the fixture backend.generate that makes the test data into the cache.

set(_qi_bk_dir ${CMAKE_CURRENT_LIST_DIR}/backend)
if(NOT TARGET qinfer)
  qi_test_suite_unavailable("qinfer: ONNX backend tests disabled (no qinfer CLI target)")
  return()
endif()
execute_process(COMMAND ${QINFER_TEST_PYTHON} -c
                  "import importlib.util as u, sys; sys.exit(0 if u.find_spec('onnx') and u.find_spec('numpy') else 1)"
                RESULT_VARIABLE _qi_bk_rc OUTPUT_QUIET ERROR_QUIET)
if(NOT _qi_bk_rc EQUAL 0)
  qi_test_suite_unavailable("qinfer: ONNX backend tests disabled (${QINFER_TEST_PYTHON} lacks onnx/numpy: run tools/install-deps.sh)")
  return()
endif()

set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_qi_bk_dir}/supported_ops.txt)
file(STRINGS ${_qi_bk_dir}/supported_ops.txt _qi_bk_lines)
set(_qi_bk_groups "")
foreach(line ${_qi_bk_lines})
  string(REGEX REPLACE "#.*" "" line "${line}")
  string(STRIP "${line}" line)
  if(line)
    list(APPEND _qi_bk_groups ${line})
  endif()
endforeach()
list(APPEND _qi_bk_groups other)

set(_qi_bk_run ${QINFER_TEST_PYTHON} ${_qi_bk_dir}/run_backend.py --cache ${QINFER_TEST_CACHE})
add_test(NAME backend.generate COMMAND ${_qi_bk_run} --generate)
set_tests_properties(backend.generate PROPERTIES FIXTURES_SETUP qi_backend_data TIMEOUT 300 LABELS backend)
foreach(group ${_qi_bk_groups})
  add_test(NAME backend.${group}
           COMMAND ${_qi_bk_run} --qinfer $<TARGET_FILE:qinfer> --group ${group} --jobs 1)
  # Exit 77: no test of this group runs (all excluded, or ONNX has none), reported as skipped.
  set_tests_properties(backend.${group} PROPERTIES FIXTURES_REQUIRED qi_backend_data TIMEOUT 300
                       SKIP_RETURN_CODE 77 LABELS backend)
endforeach()
