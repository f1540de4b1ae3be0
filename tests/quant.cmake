# Static INT8 on the model zoo (tests/quant/run_quant_zoo.py, docs/testing.md): per model, qinfer's quantizer, then
# qinfer's integer runtime against ONNX Runtime on the same QDQ model (quantized tensors and outputs), outputs
# identical on every ISA path and thread count, file size. Needs the zoo (fixture of tests/zoo.cmake) and its
# calibration samples (models/make_calib.py, run by quant.calib). Label "quant" and "zoo" (the sanitizer pass of
# tools/run-tests.sh leaves zoo-labelled suites out).

get_filename_component(_qi_q_repo "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)

# qinfer quantize's options and error paths on small models built by the script (no zoo needed; runs in the
# sanitizer pass too).
if(TARGET qinfer)
  add_test(NAME quant.cli COMMAND ${QINFER_TEST_PYTHON} ${_qi_q_repo}/tests/quant/run_quantize_cli.py
                                  --qinfer $<TARGET_FILE:qinfer>)
  set_tests_properties(quant.cli PROPERTIES TIMEOUT 300 LABELS quant)
  # qinfer sweep on a small CNN with 2 samples: table, CSV, SVG, sizes, W8A32 against numpy, errors.
  add_test(NAME quant.sweep COMMAND ${QINFER_TEST_PYTHON} ${_qi_q_repo}/tests/quant/run_sweep.py
                                    --qinfer $<TARGET_FILE:qinfer>)
  set_tests_properties(quant.sweep PROPERTIES TIMEOUT 120 LABELS quant)
  # --method entropy's KL search against a numpy oracle on written samples (tests/quant/run_entropy.py)
  add_test(NAME quant.entropy COMMAND ${QINFER_TEST_PYTHON} ${_qi_q_repo}/tests/quant/run_entropy.py
                                      --qinfer $<TARGET_FILE:qinfer>)
  set_tests_properties(quant.entropy PROPERTIES TIMEOUT 300 LABELS quant)
  # --method mse's range search against a numpy oracle of its expected error on written samples
  add_test(NAME quant.range_mse COMMAND ${QINFER_TEST_PYTHON} ${_qi_q_repo}/tests/quant/run_range_mse.py
                                        --qinfer $<TARGET_FILE:qinfer>)
  set_tests_properties(quant.range_mse PROPERTIES TIMEOUT 120 LABELS quant)
  # --target-sqnr over 4-bit weights (tests/quant/run_quantize_mixed.py): the layer with an outlier gets int8
  # weights, the others stay 4-bit, the target met against a numpy oracle, the summary table, misses, option errors
  add_test(NAME quant.mixed COMMAND ${QINFER_TEST_PYTHON} ${_qi_q_repo}/tests/quant/run_quantize_mixed.py
                                    --qinfer $<TARGET_FILE:qinfer>)
  set_tests_properties(quant.mixed PROPERTIES TIMEOUT 120 LABELS quant)
  # the internal W8A16 ops named in a model file: malformed ones fail session creation cleanly
  add_test(NAME quant.w8a16_errors COMMAND ${QINFER_TEST_PYTHON} ${_qi_q_repo}/tests/quant/run_w8a16_errors.py
                                           --qinfer $<TARGET_FILE:qinfer>)
  set_tests_properties(quant.w8a16_errors PROPERTIES TIMEOUT 120 LABELS quant)
endif()
# Calibration samples of several shapes (tests/quant/run_quant_shapes.py): merged ranges against ONNX Runtime and
# numpy, images of several sizes, the shape errors; --zoo: PP-OCR rec / det on crops of several sizes.
if(TARGET qinfer AND QINFER_NODE)
  add_test(NAME quant.shapes COMMAND ${QINFER_TEST_PYTHON} ${_qi_q_repo}/tests/quant/run_quant_shapes.py
                                     --qinfer $<TARGET_FILE:qinfer> --node ${QINFER_NODE} --cache ${QINFER_TEST_CACHE})
  set_tests_properties(quant.shapes PROPERTIES TIMEOUT 300 LABELS quant)
endif()
# The weight options (--weights int8 / int4 / uint4, --block-size, --weight-method, --activations float;
# tests/quant/run_quantize_weights.py): the written weights against a numpy oracle (groups, minmax, the mse search
# brute-forced), the file's meaning against ONNX Runtime, qinfer against ONNX Runtime, the option errors.
if(TARGET qinfer AND QINFER_NODE)
  add_test(NAME quant.weights COMMAND ${QINFER_TEST_PYTHON} ${_qi_q_repo}/tests/quant/run_quantize_weights.py
                                      --qinfer $<TARGET_FILE:qinfer> --node ${QINFER_NODE} --cache ${QINFER_TEST_CACHE})
  set_tests_properties(quant.weights PROPERTIES TIMEOUT 300 LABELS quant)
endif()
# --weight-method gptq (tests/quant/run_quantize_gptq.py): the written int4 integers and scales against a numpy GPTQ
# from the same calibration inputs, the held-out output error of each layer below round-to-nearest mse's, the
# option conflicts.
if(TARGET qinfer)
  add_test(NAME quant.gptq COMMAND ${QINFER_TEST_PYTHON} ${_qi_q_repo}/tests/quant/run_quantize_gptq.py
                                   --qinfer $<TARGET_FILE:qinfer>)
  set_tests_properties(quant.gptq PROPERTIES TIMEOUT 300 LABELS quant)
endif()
# --dynamic (ONNX Runtime's quantize_dynamic layout; tests/quant/run_quantize_dynamic.py): the written chains and
# int8 weights against a numpy oracle, qinfer's fusion of every chain, qinfer against ONNX Runtime and FP32, the
# option conflicts.
if(TARGET qinfer AND QINFER_NODE)
  add_test(NAME quant.dynamic COMMAND ${QINFER_TEST_PYTHON} ${_qi_q_repo}/tests/quant/run_quantize_dynamic.py
                                      --qinfer $<TARGET_FILE:qinfer> --node ${QINFER_NODE} --cache ${QINFER_TEST_CACHE})
  set_tests_properties(quant.dynamic PROPERTIES TIMEOUT 300 LABELS quant)
endif()
if(NOT TARGET qinfer OR NOT QINFER_NODE OR NOT DEFINED _qi_zoo_models)
  qi_test_suite_unavailable("qinfer: quantized zoo tests disabled (they need the zoo suite: qinfer, node, torch)")
  return()
endif()
add_test(NAME quant.calib COMMAND ${QINFER_TEST_PYTHON} ${_qi_q_repo}/models/make_calib.py --cache ${QINFER_TEST_CACHE})
set_tests_properties(quant.calib PROPERTIES FIXTURES_REQUIRED qi_zoo FIXTURES_SETUP qi_calib TIMEOUT 300 LABELS "quant;zoo")
add_test(NAME quant.shapes_ocr COMMAND ${QINFER_TEST_PYTHON} ${_qi_q_repo}/tests/quant/run_quant_shapes.py --zoo
                                       --qinfer $<TARGET_FILE:qinfer> --node ${QINFER_NODE} --cache ${QINFER_TEST_CACHE})
set_tests_properties(quant.shapes_ocr PROPERTIES FIXTURES_REQUIRED "qi_zoo;qi_calib" TIMEOUT 600 LABELS "quant;zoo")
# --method entropy within 1 dB of minmax on ResNet-18 (output SQNR against FP32)
add_test(NAME quant.entropy_zoo COMMAND ${QINFER_TEST_PYTHON} ${_qi_q_repo}/tests/quant/run_entropy.py --zoo
                                        --qinfer $<TARGET_FILE:qinfer> --cache ${QINFER_TEST_CACHE})
set_tests_properties(quant.entropy_zoo PROPERTIES FIXTURES_REQUIRED "qi_zoo;qi_calib" TIMEOUT 300 LABELS "quant;zoo")
# ViT's attention and MLP on integer matmuls, W8A8 and W4A8 (tests/quant/run_vit_integer.py): every MatMul / Gemm
# fused into an integer op (QI_DEBUG_QDQ), the output against ONNX Runtime on the same file and against FP32.
add_test(NAME quant.vit_integer COMMAND ${QINFER_TEST_PYTHON} ${_qi_q_repo}/tests/quant/run_vit_integer.py
                                        --qinfer $<TARGET_FILE:qinfer> --cache ${QINFER_TEST_CACHE} --node ${QINFER_NODE})
set_tests_properties(quant.vit_integer PROPERTIES FIXTURES_REQUIRED "qi_zoo;qi_calib" TIMEOUT 300 LABELS "quant;zoo")
foreach(model ${_qi_zoo_models})
  add_test(NAME quant.${model}
           COMMAND ${QINFER_TEST_PYTHON} ${_qi_q_repo}/tests/quant/run_quant_zoo.py --qinfer $<TARGET_FILE:qinfer>
                   --cache ${QINFER_TEST_CACHE} --node ${QINFER_NODE} --model ${model})
  set_tests_properties(quant.${model} PROPERTIES FIXTURES_REQUIRED "qi_zoo;qi_calib" TIMEOUT 600 LABELS "quant;zoo")
endforeach()
