# Engine tests on small models built at test time by tests/engine/make_models.py (numpy computes the
# expected outputs independently of qinfer).
set(QI_ENGINE_MODELS ${CMAKE_CURRENT_BINARY_DIR}/engine_models)
add_test(NAME engine.make_models
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/engine/make_models.py ${QI_ENGINE_MODELS})
set_tests_properties(engine.make_models PROPERTIES FIXTURES_SETUP engine_models)

add_library(qi_engine_fixture STATIC ${CMAKE_CURRENT_SOURCE_DIR}/engine/session_fixture.c)
target_link_libraries(qi_engine_fixture PUBLIC qinfer_internal qinfer_tools_io)
target_include_directories(qi_engine_fixture PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/common
                                                    ${CMAKE_CURRENT_SOURCE_DIR}/engine)

foreach(name test_session test_model_vs_numpy test_run_allocs test_load_copy test_resize test_profile)
  add_executable(${name} ${CMAKE_CURRENT_SOURCE_DIR}/engine/${name}.c)
  target_link_libraries(${name} PRIVATE qi_engine_fixture)
endforeach()
# Every allocation made by the statically linked library goes through the counting wrappers.
foreach(name test_run_allocs test_resize)
  target_sources(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/engine/alloc_counter.c)
  target_link_options(${name} PRIVATE
    -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=aligned_alloc,--wrap=posix_memalign)
endforeach()

add_test(NAME engine.session COMMAND test_session ${QI_ENGINE_MODELS})
add_test(NAME engine.small_cnn_vs_numpy COMMAND test_model_vs_numpy ${QI_ENGINE_MODELS} small_cnn 1e-5)
add_test(NAME engine.dyn_reshape_vs_numpy COMMAND test_model_vs_numpy ${QI_ENGINE_MODELS} dyn_reshape 0)
add_test(NAME engine.convt_bias_vs_numpy COMMAND test_model_vs_numpy ${QI_ENGINE_MODELS} convt_bias 1e-5)
# qinfer_session_profile: one record per node, times adding up to the run, kernels from the config lists
add_test(NAME engine.profile COMMAND test_profile ${QI_ENGINE_MODELS})
add_test(NAME engine.run_allocates_nothing
         COMMAND test_run_allocs ${QI_ENGINE_MODELS}/small_cnn.onnx ${QI_ENGINE_MODELS}/small_cnn.input.npy)
# A model read into memory (QINFER_LOAD_READ_INTO_MEMORY) keeps its outputs when its files are rewritten or
# truncated; a mapped one sees the rewrite (the contract in include/qinfer.h: don't change a mapped model's files).
add_test(NAME engine.load_copy COMMAND test_load_copy ${QI_ENGINE_MODELS})
add_test(NAME engine.load_mapped_sees_rewrite COMMAND test_load_copy ${QI_ENGINE_MODELS} --mapped)
set_tests_properties(engine.load_mapped_sees_rewrite PROPERTIES WILL_FAIL TRUE)
# Inputs that change shape (qinfer_session_resize_input) or decide shapes (qinfer_session_options_set_input_value),
# on models made by tests/engine/make_shape_models.py with numpy oracles.
set(QI_SHAPE_MODELS ${CMAKE_CURRENT_BINARY_DIR}/engine_shape_models)
add_test(NAME engine.make_shape_models
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/engine/make_shape_models.py ${QI_SHAPE_MODELS})
set_tests_properties(engine.make_shape_models PROPERTIES FIXTURES_SETUP engine_shape_models)
add_test(NAME engine.resize_and_bound_inputs COMMAND test_resize ${QI_SHAPE_MODELS})
set_tests_properties(engine.resize_and_bound_inputs PROPERTIES FIXTURES_REQUIRED engine_shape_models)
if(TARGET qinfer) # `qinfer run` / `bench` with input sets of several shapes in one session
  add_test(NAME engine.cli_input_sets
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/engine/check_input_sets.py $<TARGET_FILE:qinfer>
                   ${QI_SHAPE_MODELS} ${CMAKE_CURRENT_BINARY_DIR}/engine_input_sets)
  set_tests_properties(engine.cli_input_sets PROPERTIES FIXTURES_REQUIRED engine_shape_models
                       PASS_REGULAR_EXPRESSION "input sets: all outputs match numpy")
endif()
set_tests_properties(engine.session engine.small_cnn_vs_numpy engine.dyn_reshape_vs_numpy engine.convt_bias_vs_numpy
                     engine.run_allocates_nothing engine.profile engine.load_copy engine.load_mapped_sees_rewrite
                     PROPERTIES FIXTURES_REQUIRED engine_models)

# Graphs where a folded BatchNormalization's epsilon and a fused Relu / Clip decide the outputs (float and QDQ),
# run by the qinfer CLI against numpy (tests/engine/run_fusion_models.py).
if(TARGET qinfer)
  add_test(NAME engine.fusion_vs_numpy
           COMMAND ${QINFER_TEST_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/engine/run_fusion_models.py
                   --qinfer $<TARGET_FILE:qinfer>)
  set_tests_properties(engine.fusion_vs_numpy PROPERTIES TIMEOUT 300)
endif()

add_executable(test_docs_ops ${CMAKE_CURRENT_SOURCE_DIR}/engine/test_docs_ops.c)
target_link_libraries(test_docs_ops PRIVATE qi_engine_fixture)
add_test(NAME engine.docs_list_every_op COMMAND test_docs_ops ${PROJECT_SOURCE_DIR}/docs/operators.md)
