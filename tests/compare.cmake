# `qinfer compare` (tools/cmd_compare.c): the metric unit test, and tests/compare/run_compare.py on an FP32 model
# and a hand-made QDQ version of it (tests/compare/models.py), made at test time:
#   compare.oracle    every per-output and per-layer row against metrics numpy computes from ONNX Runtime's
#                     tensors of both models (needs node and onnxruntime-node, like ops_ort)
#   compare.identity  a model against itself: inf SQNR and cosine 1 everywhere; --min-sqnr
#   compare.errors    missing file, mismatched inputs, a bad --csv path, usage errors
#   compare.isolated  the isolated view (each quantized node alone on REF's inputs) against ONNX Runtime running
#                     each node's Q-DQ region cut out of the QDQ model on the FP32 tensors (needs node)
#   compare.table     a Conv whose range is cut to a HardSigmoid's ramp, measured through the lookup table
# Label "compare".

get_filename_component(_qi_cmp_repo "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
if(TARGET test_compare_metrics)
  target_sources(test_compare_metrics PRIVATE ${_qi_cmp_repo}/tools/compare_format.c)
  set_tests_properties(unit.test_compare_metrics PROPERTIES LABELS compare)
endif()

if(NOT TARGET qinfer)
  qi_test_suite_unavailable("qinfer: compare tests disabled (no qinfer CLI target)")
  return()
endif()
execute_process(COMMAND ${QINFER_TEST_PYTHON} -c
                  "import importlib.util as u, sys; sys.exit(0 if u.find_spec('onnx') and u.find_spec('numpy') else 1)"
                RESULT_VARIABLE _qi_cmp_rc OUTPUT_QUIET ERROR_QUIET)
if(NOT _qi_cmp_rc EQUAL 0)
  qi_test_suite_unavailable("qinfer: compare tests disabled (${QINFER_TEST_PYTHON} lacks onnx/numpy: run tools/install-deps.sh)")
  return()
endif()

set(_qi_cmp_dir ${CMAKE_CURRENT_BINARY_DIR}/compare)
set(_qi_cmp_cases identity errors)
if(QINFER_NODE)
  list(APPEND _qi_cmp_cases oracle isolated table)
else()
  qi_test_suite_unavailable("qinfer: compare.oracle disabled (no node: run tools/install-deps.sh)")
endif()
foreach(case ${_qi_cmp_cases})
  add_test(NAME compare.${case}
           COMMAND ${QINFER_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/compare/run_compare.py --case ${case}
                   --qinfer $<TARGET_FILE:qinfer> --node "${QINFER_NODE}" --cache ${QINFER_TEST_CACHE}
                   --workdir ${_qi_cmp_dir}/${case})
  set_tests_properties(compare.${case} PROPERTIES TIMEOUT 120 LABELS compare)
endforeach()
