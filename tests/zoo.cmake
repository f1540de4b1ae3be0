# Model zoo vs ONNX Runtime (tests/zoo/run_zoo.py, docs/testing.md): one ctest case per model (zoo.<model>), all
# needing the fixture zoo.build, which runs models/make_zoo.py (exports the PyTorch models, copies the PaddleOCR
# ones; cached in the cache folder and skipped while the scripts are unchanged). Label "zoo" (tools/run-tests.sh
# leaves it out of the sanitizer pass).

get_filename_component(_qi_zoo_repo "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
if(NOT TARGET qinfer)
  qi_test_suite_unavailable("qinfer: model zoo tests disabled (no qinfer CLI target)")
  return()
endif()
if(NOT QINFER_NODE)
  qi_test_suite_unavailable("qinfer: model zoo tests disabled (no node: run tools/install-deps.sh)")
  return()
endif()
execute_process(COMMAND ${QINFER_TEST_PYTHON} -c
                  "import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ('onnx', 'numpy', 'torch', 'torchvision')) else 1)"
                RESULT_VARIABLE _qi_zoo_rc OUTPUT_QUIET ERROR_QUIET)
if(NOT _qi_zoo_rc EQUAL 0)
  qi_test_suite_unavailable("qinfer: model zoo tests disabled (${QINFER_TEST_PYTHON} lacks onnx/torch/torchvision: run tools/install-deps.sh)")
  return()
endif()
execute_process(COMMAND ${QINFER_TEST_PYTHON} ${_qi_zoo_repo}/models/make_zoo.py --list
                OUTPUT_VARIABLE _qi_zoo_models RESULT_VARIABLE _qi_zoo_rc)
if(NOT _qi_zoo_rc EQUAL 0)
  qi_test_suite_unavailable("qinfer: models/make_zoo.py --list failed; model zoo tests disabled")
  return()
endif()
string(REGEX REPLACE "\n$" "" _qi_zoo_models "${_qi_zoo_models}")
string(REPLACE "\n" ";" _qi_zoo_models "${_qi_zoo_models}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_qi_zoo_repo}/models/make_zoo.py)

add_test(NAME zoo.build COMMAND ${QINFER_TEST_PYTHON} ${_qi_zoo_repo}/models/make_zoo.py --cache ${QINFER_TEST_CACHE})
set_tests_properties(zoo.build PROPERTIES FIXTURES_SETUP qi_zoo TIMEOUT 900 LABELS zoo)
foreach(model ${_qi_zoo_models})
  add_test(NAME zoo.${model}
           COMMAND ${QINFER_TEST_PYTHON} ${_qi_zoo_repo}/tests/zoo/run_zoo.py --qinfer $<TARGET_FILE:qinfer>
                   --cache ${QINFER_TEST_CACHE} --node ${QINFER_NODE} --model ${model})
  set_tests_properties(zoo.${model} PROPERTIES FIXTURES_REQUIRED qi_zoo TIMEOUT 600 LABELS zoo)
  # every op of every zoo model runs without allocating (tests/engine/test_run_allocs.c)
  # the models whose input sets differ in shape (PP-OCR det: H x W, rec: width = sequence length) also run every
  # set in one session resized between them, against the same ORT outputs
  if(model MATCHES "^ppocr_(det|rec)$")
    add_test(NAME zoo.${model}.one_session_resized
             COMMAND ${QINFER_TEST_PYTHON} ${_qi_zoo_repo}/tests/zoo/run_zoo.py --qinfer $<TARGET_FILE:qinfer>
                     --cache ${QINFER_TEST_CACHE} --node ${QINFER_NODE} --model ${model} --one-session)
    set_tests_properties(zoo.${model}.one_session_resized PROPERTIES FIXTURES_REQUIRED qi_zoo TIMEOUT 600 LABELS zoo)
  endif()
  add_test(NAME zoo.${model}.run_allocates_nothing
           COMMAND test_run_allocs ${QINFER_TEST_CACHE}/zoo/${model}/model.onnx ${QINFER_TEST_CACHE}/zoo/${model}/set0)
  set_tests_properties(zoo.${model}.run_allocates_nothing PROPERTIES FIXTURES_REQUIRED qi_zoo TIMEOUT 600 LABELS zoo)
endforeach()

# One answer at any thread count: MobileNetV2 FP32 and its static INT8 file at 1, 2 and 3 threads, bit-identical
# (tests/zoo/run_threads.py; needs the calibration samples models/make_zoo.py writes).
add_test(NAME zoo.mobilenet_v2.threads_identical
         COMMAND ${QINFER_TEST_PYTHON} ${_qi_zoo_repo}/tests/zoo/run_threads.py --qinfer $<TARGET_FILE:qinfer>
                 --cache ${QINFER_TEST_CACHE} --model mobilenet_v2)
set_tests_properties(zoo.mobilenet_v2.threads_identical PROPERTIES FIXTURES_REQUIRED qi_zoo TIMEOUT 300 LABELS zoo)
