# Quantized ops against ONNX Runtime (tests/quant_ops/run_quant_ops.py, which reuses tests/ops_ort/run_ops_ort.py):
# QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear and the com.microsoft QLinear* / integer ops on small
# models made at test time from the CASES(h) of every tests/quant_ops/cases_*.py, run by ORT (one node process)
# and by the qinfer CLI. One ctest case, quant_ops, label "quant_ops". Needs what ops_ort needs (node and
# onnxruntime-node in <cache>/npm, python3 with onnx and numpy).

if(NOT TARGET qinfer)
  qi_test_suite_unavailable("qinfer: quantized-ops-vs-ORT tests disabled (no qinfer CLI target)")
  return()
endif()
if(NOT QINFER_NODE)
  qi_test_suite_unavailable("qinfer: quantized-ops-vs-ORT tests disabled (no node: run tools/install-deps.sh)")
  return()
endif()
execute_process(COMMAND ${QINFER_TEST_PYTHON} -c
                  "import importlib.util as u, sys; sys.exit(0 if u.find_spec('onnx') and u.find_spec('numpy') else 1)"
                RESULT_VARIABLE _qi_qo_rc OUTPUT_QUIET ERROR_QUIET)
if(NOT _qi_qo_rc EQUAL 0)
  qi_test_suite_unavailable("qinfer: quantized-ops-vs-ORT tests disabled (${QINFER_TEST_PYTHON} lacks onnx/numpy: run tools/install-deps.sh)")
  return()
endif()

add_test(NAME quant_ops
         COMMAND ${QINFER_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/quant_ops/run_quant_ops.py --qinfer $<TARGET_FILE:qinfer>
                 --cache ${QINFER_TEST_CACHE} --node ${QINFER_NODE} --jobs 1)
set_tests_properties(quant_ops PROPERTIES TIMEOUT 300 LABELS quant_ops)

# The W4A8 QDQ models of tests/quant_ops/cases_w4a8.py on the scalar and AVX2 paths (identical bytes) and the
# fusions they must (not) get: tests/quant_ops/run_w4a8_isa.py.
add_test(NAME quant_ops.w4a8_isa
         COMMAND ${QINFER_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/quant_ops/run_w4a8_isa.py --qinfer $<TARGET_FILE:qinfer>)
set_tests_properties(quant_ops.w4a8_isa PROPERTIES TIMEOUT 120 LABELS quant_ops)
