# Parity against ONNX Runtime for any model (bench/parity.py) and image inputs of `qinfer run / compare / bench`
# (tests/parity/, docs/testing.md "Parity against ONNX Runtime for any model"):
#   parity.zoo, parity.backend, parity.made, parity.broken   tests/parity/run_parity.py --case ...: zoo models
#       (MobileNetV2 with --all-tensors, PP-OCR cls with --dim), backend node models, a model made at test time
#       (external data, two inputs, a uint8 tensor), and a qinfer broken on purpose that parity must catch
#   parity.image_inputs   tests/parity/run_image_inputs.py: images through qinfer's preprocessing against PIL +
#       numpy (needs the quantizer: the decoders are its)
# Label "parity".

get_filename_component(_qi_par_repo "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
if(NOT TARGET qinfer)
  qi_test_suite_unavailable("qinfer: parity tests disabled (no qinfer CLI target)")
  return()
endif()
if(QINFER_WITH_QUANTIZER)
  execute_process(COMMAND ${QINFER_TEST_PYTHON} -c
                    "import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ('onnx', 'numpy', 'PIL')) else 1)"
                  RESULT_VARIABLE _qi_par_rc OUTPUT_QUIET ERROR_QUIET)
  if(_qi_par_rc EQUAL 0)
    add_test(NAME parity.image_inputs
             COMMAND ${QINFER_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/parity/run_image_inputs.py
                     --qinfer $<TARGET_FILE:qinfer> --workdir ${CMAKE_CURRENT_BINARY_DIR}/parity/image_inputs)
    set_tests_properties(parity.image_inputs PROPERTIES TIMEOUT 120 LABELS parity)
  else()
    qi_test_suite_unavailable("qinfer: parity.image_inputs disabled (${QINFER_TEST_PYTHON} lacks onnx/numpy/PIL)")
  endif()
endif()
if(NOT QINFER_NODE)
  qi_test_suite_unavailable("qinfer: parity tests disabled (no node: run tools/install-deps.sh)")
  return()
endif()
foreach(case zoo backend made broken)
  add_test(NAME parity.${case}
           COMMAND ${QINFER_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/parity/run_parity.py --case ${case}
                   --qinfer $<TARGET_FILE:qinfer> --node "${QINFER_NODE}" --cache ${QINFER_TEST_CACHE}
                   --workdir ${CMAKE_CURRENT_BINARY_DIR}/parity/${case})
  set_tests_properties(parity.${case} PROPERTIES TIMEOUT 300 LABELS parity)
endforeach()
# the zoo models: label zoo too, so the sanitizer pass of tools/run-tests.sh (-LE zoo) leaves them out as it does
# the zoo suite; parity.backend, .made and .image_inputs run the CLI paths under it
set_tests_properties(parity.zoo parity.broken PROPERTIES FIXTURES_REQUIRED qi_zoo LABELS "parity;zoo")
set_tests_properties(parity.backend PROPERTIES FIXTURES_REQUIRED qi_backend_data)
