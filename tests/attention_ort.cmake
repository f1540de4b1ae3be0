# Attention fusion against ONNX Runtime (tests/attention_ort/run_attention_ort.py, docs/testing.md "Attention
# fusion vs ONNX Runtime"): unfused attention graphs made with onnx.helper, run by ORT and by the qinfer CLI, with
# the fusion itself checked per case; at the default ISA and with --isa scalar. Needs what ops_ort needs.

if(NOT TARGET qinfer OR NOT QINFER_NODE)
  qi_test_suite_unavailable("qinfer: attention-vs-ORT tests disabled (no qinfer CLI target or no node)")
  return()
endif()
foreach(isa default scalar)
  set(_qi_extra "")
  if(NOT isa STREQUAL "default")
    set(_qi_extra "--qinfer-arg=--isa=${isa}")
  endif()
  add_test(NAME attention_ort.${isa}
           COMMAND ${QINFER_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/attention_ort/run_attention_ort.py
                   --qinfer $<TARGET_FILE:qinfer> --cache ${QINFER_TEST_CACHE} --node ${QINFER_NODE} --jobs 1 ${_qi_extra})
  set_tests_properties(attention_ort.${isa} PROPERTIES TIMEOUT 300 LABELS ops_ort)
endforeach()
