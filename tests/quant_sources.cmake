# Quantized models from other sources than qinfer's quantizer (tests/quant/run_qdq_sources.py, docs/testing.md):
# PyTorch QAT exports (fake-quantized and converted), ONNX Runtime quantize_static's QDQ format, hand-built
# QOperator models (uint8 / int8) and quantize_dynamic's DynamicQuantizeLinear -> ConvInteger / MatMulInteger
# pattern, all made at test time; group ort_made builds ORT's layouts from zoo models (label zoo). Per model: the QDQ fusions qinfer makes (QI_DEBUG_QDQ), every quantized tensor
# against ONNX Runtime 1.30 (>= 99.9 % equal, <= 1 step apart), outputs cosine >= 0.9999, one answer with
# --isa scalar and --threads 3. One ctest case per group, quant_sources.<group>; label "quant". Needs node with
# onnxruntime-node (as the zoo) and python3 with onnx, numpy and torch.

if(NOT TARGET qinfer)
  qi_test_suite_unavailable("qinfer: quantized-sources tests disabled (no qinfer CLI target)")
  return()
endif()
if(NOT QINFER_NODE)
  qi_test_suite_unavailable("qinfer: quantized-sources tests disabled (no node: run tools/install-deps.sh)")
  return()
endif()
execute_process(COMMAND ${QINFER_TEST_PYTHON} -c
                  "import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ('onnx', 'numpy', 'torch')) else 1)"
                RESULT_VARIABLE _qi_qs_rc OUTPUT_QUIET ERROR_QUIET)
if(NOT _qi_qs_rc EQUAL 0)
  qi_test_suite_unavailable("qinfer: quantized-sources tests disabled (${QINFER_TEST_PYTHON} lacks onnx/numpy/torch: run tools/install-deps.sh)")
  return()
endif()

foreach(group qat ort_qdq qoperator dynamic)
  add_test(NAME quant_sources.${group}
           COMMAND ${QINFER_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/quant/run_qdq_sources.py --qinfer $<TARGET_FILE:qinfer>
                   --node ${QINFER_NODE} --cache ${QINFER_TEST_CACHE} --group ${group})
  set_tests_properties(quant_sources.${group} PROPERTIES TIMEOUT 300 LABELS quant)
endforeach()
# ONNX Runtime's layouts built from zoo models (tests/quant/ort_made.py): QDQ ResNet-18, dynamic MobileNetV2, a lone
# dynamic 1024^3 MatMul
add_test(NAME quant_sources.ort_made
         COMMAND ${QINFER_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/quant/run_qdq_sources.py --qinfer $<TARGET_FILE:qinfer>
                 --node ${QINFER_NODE} --cache ${QINFER_TEST_CACHE} --group ort_made)
set_tests_properties(quant_sources.ort_made PROPERTIES TIMEOUT 600 LABELS "quant;zoo" FIXTURES_REQUIRED qi_zoo)
