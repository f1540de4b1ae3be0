# Layers enforced by the build (docs/architecture.md, "Layers").
#
# Every layer compiles against a view of the source tree that holds only what it may include: a folder in the
# build tree with symbolic links to the allowed headers, at their usual paths ("engine/ir/ir.h",
# "kernels/isa.h", "qinfer.h"). An include that crosses a layer the wrong way (a kernel including an engine
# header, the loader including the op interface) finds no file and does not compile.
#
#   qi_layer_view(NAME HEADERS glob... [DIRS dir...])
#     HEADERS: globs relative to the source root ("engine/ir/*.h", "kernels/*/*.h"); public headers from
#     include/ are given as "include/qinfer.h" and appear at the view's root ("qinfer.h").
#     Sets QI_VIEW_<NAME> to the view's include directory.

function(qi_layer_view name)
  cmake_parse_arguments(V "" "" "HEADERS" ${ARGN})
  set(view ${PROJECT_BINARY_DIR}/layers/${name})
  file(REMOVE_RECURSE ${view})
  file(MAKE_DIRECTORY ${view})
  foreach(pattern ${V_HEADERS})
    file(GLOB headers CONFIGURE_DEPENDS RELATIVE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/${pattern})
    foreach(h ${headers})
      string(REGEX REPLACE "^include/" "" at ${h})
      get_filename_component(dir ${view}/${at} DIRECTORY)
      file(MAKE_DIRECTORY ${dir})
      file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${h} ${view}/${at} SYMBOLIC)
    endforeach()
  endforeach()
  set(QI_VIEW_${name} ${view} PARENT_SCOPE)
endfunction()

# A probe that the build refuses a wrong include: `header` must not compile in layer `name`'s view, while
# `allowed` (a header of its own layer) must, so the failure is the missing file and nothing else.
function(qi_layer_probe name view allowed header)
  set(dir ${PROJECT_BINARY_DIR}/layers/probes)
  file(MAKE_DIRECTORY ${dir})
  string(MAKE_C_IDENTIFIER "${name}_${header}" id)
  file(WRITE ${dir}/${id}_bad.c "#include \"${header}\"\n")
  file(WRITE ${dir}/${id}_ok.c "#include \"${allowed}\"\n")
  set(flags -fsyntax-only -std=c11 -D_GNU_SOURCE -I${view} ${ARGN})
  add_test(NAME layers.${name}_cannot_include_${id} COMMAND ${CMAKE_C_COMPILER} ${flags} ${dir}/${id}_bad.c)
  set_tests_properties(layers.${name}_cannot_include_${id} PROPERTIES WILL_FAIL TRUE LABELS layers)
  add_test(NAME layers.${name}_control_for_${id} COMMAND ${CMAKE_C_COMPILER} ${flags} ${dir}/${id}_ok.c)
  set_tests_properties(layers.${name}_control_for_${id} PROPERTIES LABELS layers)
endfunction()
