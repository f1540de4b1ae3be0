# Loader tests driven by data made at test time: tests/loader_fixtures.py writes ONNX models with the onnx
# Python package (real model, external data, models to refuse) for test_loader_python.c.
if(TARGET test_loader_python)
  target_compile_definitions(test_loader_python PRIVATE
                             QI_LOADER_FIXTURES_PY="${CMAKE_CURRENT_SOURCE_DIR}/loader_fixtures.py")
  # 77: python3 or its onnx / numpy packages are missing.
  set_tests_properties(unit.test_loader_python PROPERTIES SKIP_RETURN_CODE 77)
endif()
