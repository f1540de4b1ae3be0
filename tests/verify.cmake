# `qinfer eval-verify` (tools/cmd_eval_verify.c), tests/verify/run_verify.py, one case each:
#   verify.metrics  an identity model over .npy "embeddings" made at test time (tied scores, 2,800 pairs): every
#                   metric against the numpy oracle tests/verify/verify_oracle.py, exactly; LFW files with a header
#   verify.errors   malformed pairs files, missing files, paths escaping the images folder, usage errors
#   verify.faces    real photographs (models/fetch_faces.sh) through the zoo's FaceNet FP32 / W8A8 / W4A8 and a
#                   trained face embedder FP32 / W8A8: the oracle on qinfer's scores and embeddings, FP32 against
#                   ONNX Runtime's embeddings (node); needs the zoo and its calibration samples
# Label "verify" (verify.faces also "zoo").
get_filename_component(_qi_ver_repo "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
if(NOT TARGET qinfer)
  qi_test_suite_unavailable("qinfer: verify tests disabled (no qinfer CLI target)")
  return()
endif()
execute_process(COMMAND ${QINFER_TEST_PYTHON} -c
                  "import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ('onnx', 'numpy', 'PIL')) else 1)"
                RESULT_VARIABLE _qi_ver_rc OUTPUT_QUIET ERROR_QUIET)
if(NOT _qi_ver_rc EQUAL 0)
  qi_test_suite_unavailable("qinfer: verify tests disabled (${QINFER_TEST_PYTHON} lacks onnx/numpy/PIL: run tools/install-deps.sh)")
  return()
endif()
set(_qi_ver_cases metrics errors)
if(QINFER_NODE)
  list(APPEND _qi_ver_cases faces)
else()
  qi_test_suite_unavailable("qinfer: verify.faces disabled (no node: run tools/install-deps.sh)")
endif()
foreach(case ${_qi_ver_cases})
  add_test(NAME verify.${case}
           COMMAND ${QINFER_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/verify/run_verify.py --case ${case}
                   --qinfer $<TARGET_FILE:qinfer> --node "${QINFER_NODE}" --cache ${QINFER_TEST_CACHE}
                   --workdir ${CMAKE_CURRENT_BINARY_DIR}/verify/${case})
  set_tests_properties(verify.${case} PROPERTIES TIMEOUT 300 LABELS verify)
endforeach()
if(TEST verify.faces)
  set_tests_properties(verify.faces PROPERTIES FIXTURES_REQUIRED "qi_zoo;qi_calib" LABELS "verify;zoo")
endif()
