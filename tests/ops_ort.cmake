# Single-op parity against ONNX Runtime for opset 18..23 behaviour (tests/ops_ort/run_ops_ort.py, docs/testing.md
# "Ops vs ONNX Runtime (opsets 18–23)"): small models made with onnx.helper at test time, run by ORT (one node
# process, tests/ops_ort/ort_batch.js) and by the qinfer CLI. One ctest case, ops_ort, label "ops_ort".
# onnxruntime-node must be in <cache>/npm (tools/install-deps.sh, which tools/run-tests.sh runs before ctest);
# the script stops with a message naming the missing path otherwise.

if(NOT TARGET qinfer)
  qi_test_suite_unavailable("qinfer: ops-vs-ORT tests disabled (no qinfer CLI target)")
  return()
endif()
if(NOT QINFER_NODE)
  qi_test_suite_unavailable("qinfer: ops-vs-ORT tests disabled (no node: run tools/install-deps.sh)")
  return()
endif()
execute_process(COMMAND ${QINFER_TEST_PYTHON} -c
                  "import importlib.util as u, sys; sys.exit(0 if u.find_spec('onnx') and u.find_spec('numpy') else 1)"
                RESULT_VARIABLE _qi_oo_rc OUTPUT_QUIET ERROR_QUIET)
if(NOT _qi_oo_rc EQUAL 0)
  qi_test_suite_unavailable("qinfer: ops-vs-ORT tests disabled (${QINFER_TEST_PYTHON} lacks onnx/numpy: run tools/install-deps.sh)")
  return()
endif()

add_test(NAME ops_ort
         COMMAND ${QINFER_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/ops_ort/run_ops_ort.py --qinfer $<TARGET_FILE:qinfer>
                 --cache ${QINFER_TEST_CACHE} --node ${QINFER_NODE} --jobs 1)
set_tests_properties(ops_ort PROPERTIES TIMEOUT 300 LABELS ops_ort)
