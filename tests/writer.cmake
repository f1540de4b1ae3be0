# ONNX writer round trip (tests/writer/run_writer.py, docs/loader.md "Writing ONNX"): every backend node test model
# the backend suite runs and every zoo model is loaded and written back by `qinfer convert`; the written model must
# pass onnx.checker (full_check) and give ONNX Runtime 1.30 byte-identical outputs to the original. Cases
# writer.backend (fixture backend.generate) and writer.zoo (fixture zoo.build, so also labelled "zoo"), and the
# same at opset 13 for the models below it (writer.backend_opset13, writer.zoo_opset13), label "writer"; each is
# registered only when the suite whose data it reuses is.

# The unit test reads its written files back with the onnx package through this script (skipped without it).
if(TARGET test_onnx_writer)
  target_compile_definitions(test_onnx_writer PRIVATE
                             QI_WRITER_CHECK_PY="${CMAKE_CURRENT_LIST_DIR}/writer/check_written.py")
endif()

if(NOT TARGET qinfer)
  qi_test_suite_unavailable("qinfer: ONNX writer round-trip tests disabled (no qinfer CLI target)")
  return()
endif()
if(NOT QINFER_NODE)
  qi_test_suite_unavailable("qinfer: ONNX writer round-trip tests disabled (no node: run tools/install-deps.sh)")
  return()
endif()

set(_qi_wr_run ${QINFER_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/writer/run_writer.py --qinfer $<TARGET_FILE:qinfer>
               --cache ${QINFER_TEST_CACHE} --node ${QINFER_NODE} --jobs 2)
# The *_opset13 cases take the models at opsets 7 to 12 through `qinfer convert --opset 13` (the version converter).
if(TEST backend.generate)
  add_test(NAME writer.backend COMMAND ${_qi_wr_run} --suite backend)
  set_tests_properties(writer.backend PROPERTIES FIXTURES_REQUIRED qi_backend_data TIMEOUT 600 LABELS writer)
  add_test(NAME writer.backend_opset13 COMMAND ${_qi_wr_run} --suite backend --opset13)
  set_tests_properties(writer.backend_opset13 PROPERTIES FIXTURES_REQUIRED qi_backend_data TIMEOUT 600 LABELS writer)
endif()
if(TEST zoo.build)
  add_test(NAME writer.zoo COMMAND ${_qi_wr_run} --suite zoo)
  set_tests_properties(writer.zoo PROPERTIES FIXTURES_REQUIRED qi_zoo TIMEOUT 600 LABELS "writer;zoo")
  add_test(NAME writer.zoo_opset13 COMMAND ${_qi_wr_run} --suite zoo --opset13)
  set_tests_properties(writer.zoo_opset13 PROPERTIES FIXTURES_REQUIRED qi_zoo TIMEOUT 600 LABELS "writer;zoo")
endif()

# The written model's version converter (tests/writer/run_opset_upgrade.py): one small model per conversion rule at
# its old opset, `qinfer convert --opset 13`, onnx.checker, and ONNX Runtime's bytes at both opsets; refusals.
add_test(NAME writer.opset_upgrade COMMAND ${QINFER_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/writer/run_opset_upgrade.py
                                           --qinfer $<TARGET_FILE:qinfer> --cache ${QINFER_TEST_CACHE} --node ${QINFER_NODE})
set_tests_properties(writer.opset_upgrade PROPERTIES TIMEOUT 300 LABELS writer)
