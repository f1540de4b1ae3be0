# Image decoding and preprocessing (engine/quant/image): tests/image/image_tests.py makes a corpus of PNG and JPEG
# files with PIL at test time (image.corpus) and checks tests/image/image_tool's output against PIL and numpy:
# PNG pixels exactly, JPEG within a measured bound, preprocessing against a numpy implementation of the
# documented convention; image.malformed feeds truncated, corrupted and absurd files. Label "image".

add_executable(image_tool ${CMAKE_CURRENT_SOURCE_DIR}/image/image_tool.c ${PROJECT_SOURCE_DIR}/tools/cli_image.c)
target_link_libraries(image_tool PRIVATE qinfer_internal)

execute_process(COMMAND ${QINFER_TEST_PYTHON} -c
                  "import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ('PIL', 'numpy')) else 1)"
                RESULT_VARIABLE _qi_image_rc OUTPUT_QUIET ERROR_QUIET)
if(NOT _qi_image_rc EQUAL 0)
  qi_test_suite_unavailable("qinfer: image tests disabled (${QINFER_TEST_PYTHON} lacks PIL/numpy: run tools/install-deps.sh)")
  return()
endif()

set(_qi_image_dir ${CMAKE_CURRENT_BINARY_DIR}/image)
set(_qi_image_py ${QINFER_TEST_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/image/image_tests.py --dir ${_qi_image_dir}
                 --tool $<TARGET_FILE:image_tool>)
add_test(NAME image.corpus COMMAND ${_qi_image_py} corpus)
set_tests_properties(image.corpus PROPERTIES FIXTURES_SETUP qi_image_corpus TIMEOUT 120 LABELS image)
foreach(part png jpeg preprocess malformed)
  add_test(NAME image.${part} COMMAND ${_qi_image_py} ${part})
  set_tests_properties(image.${part} PROPERTIES FIXTURES_REQUIRED qi_image_corpus TIMEOUT 300 LABELS image
                       FAIL_REGULAR_EXPRESSION "Sanitizer|runtime error")
endforeach()
