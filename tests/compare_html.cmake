# `qinfer compare --html` (tools/compare_html.c): tests/compare_html/check_report.py on tests/compare/models.py's
# FP32 / QDQ pair with hostile names, made at test time:
#   compare_html.page    the page's structure, escaping, numbers (against numpy and the models' own parameters)
#                        and the option errors; needs python3 with onnx and numpy
#   compare_html.render  the page in headless Chromium (Debian package chromium): every visible chart's region
#                        drawn, with its data colours, in the linear and the log-scale view; needs python3-pil
# Without chromium the render case is skipped (exit 77) unless QINFER_REQUIRE_TEST_DEPS makes it a configure
# error. Label "compare".

if(NOT TARGET qinfer)
  qi_test_suite_unavailable("qinfer: compare_html tests disabled (no qinfer CLI target)")
  return()
endif()
execute_process(COMMAND ${QINFER_TEST_PYTHON} -c
                  "import importlib.util as u, sys; sys.exit(0 if u.find_spec('onnx') and u.find_spec('numpy') else 1)"
                RESULT_VARIABLE _qi_html_rc OUTPUT_QUIET ERROR_QUIET)
if(NOT _qi_html_rc EQUAL 0)
  qi_test_suite_unavailable("qinfer: compare_html tests disabled (${QINFER_TEST_PYTHON} lacks onnx/numpy: run tools/install-deps.sh)")
  return()
endif()

find_program(QINFER_CHROMIUM NAMES chromium chromium-browser)
set(_qi_html_chromium "")
if(QINFER_CHROMIUM)
  execute_process(COMMAND ${QINFER_TEST_PYTHON} -c "import PIL" RESULT_VARIABLE _qi_html_pil OUTPUT_QUIET ERROR_QUIET)
  if(_qi_html_pil EQUAL 0)
    set(_qi_html_chromium ${QINFER_CHROMIUM})
  else()
    qi_test_suite_unavailable("qinfer: compare_html.render skipped (${QINFER_TEST_PYTHON} lacks PIL: run tools/install-deps.sh)")
  endif()
else()
  qi_test_suite_unavailable("qinfer: compare_html.render skipped (no chromium: run tools/install-deps.sh)")
endif()

foreach(case page render)
  add_test(NAME compare_html.${case}
           COMMAND ${QINFER_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/compare_html/check_report.py --case ${case}
                   --qinfer $<TARGET_FILE:qinfer> --chromium "${_qi_html_chromium}"
                   --workdir ${CMAKE_CURRENT_BINARY_DIR}/compare_html/${case})
  set_tests_properties(compare_html.${case} PROPERTIES TIMEOUT 120 LABELS compare SKIP_RETURN_CODE 77)
endforeach()
