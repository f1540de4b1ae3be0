# `cmake --install`: the libraries, the public headers, the `qinfer` CLI, a pkg-config file and a CMake package.
# docs/building.md describes the layout and how applications use it; tests/install.cmake checks it.
#
#   <prefix>/<bindir>/qinfer
#   <prefix>/<libdir>/libqinfer.a, libqinfer.so -> libqinfer.so.<soversion> -> libqinfer.so.<version>
#   <prefix>/<includedir>/*.h                            every header of include/ (the public API)
#   <prefix>/<libdir>/pkgconfig/qinfer.pc
#   <prefix>/<libdir>/cmake/qinfer/qinferConfig.cmake, qinferConfigVersion.cmake, qinferTargets.cmake
#
# The rules name only the final targets qinfer_static, qinfer_shared and qinfer, never how they are put together
# inside (object libraries, layers): the CMake package's imported targets are written here from the installed
# files' names (file(GENERATE) with $<TARGET_FILE_NAME:...>) instead of by install(EXPORT), which would need every
# internal target the libraries link to be exported as well.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(QI_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/qinfer CACHE STRING
    "Where qinferConfig.cmake is installed, relative to the prefix")
mark_as_advanced(QI_INSTALL_CMAKEDIR)

install(TARGETS qinfer_static qinfer_shared
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS qinfer RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Every header in include/ is public (qinfer.h, and any header added beside it).
file(GLOB QI_PUBLIC_HEADERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/*.h)
install(FILES ${QI_PUBLIC_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# ---- pkg-config ----
# Written at install time, so that prefix= is the prefix actually installed to (`cmake --install --prefix DIR`
# included; DESTDIR is not part of it, as packaging expects). Libs.private is what `pkg-config --static` adds.
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(QI_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(QI_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
set(QI_PC_TEMPLATE ${CMAKE_CURRENT_BINARY_DIR}/qinfer.pc.in)
file(WRITE ${QI_PC_TEMPLATE}.tmp "prefix=@QI_PC_PREFIX@
libdir=${QI_PC_LIBDIR}
includedir=${QI_PC_INCLUDEDIR}

Name: qinfer
Description: ONNX inference engine (C API)
Version: ${PROJECT_VERSION}
Libs: -L\${libdir} -lqinfer
Libs.private: -lpthread -lm
Cflags: -I\${includedir}
")
configure_file(${QI_PC_TEMPLATE}.tmp ${QI_PC_TEMPLATE} COPYONLY) # rewritten only when it changes
# One generated file per prefix: two installs at once (yours while the install test runs) do not race.
install(CODE "
  set(QI_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  string(MD5 _qi_pc_key \"\${CMAKE_INSTALL_PREFIX}\")
  set(_qi_pc_file \"${CMAKE_CURRENT_BINARY_DIR}/pkgconfig/\${_qi_pc_key}/qinfer.pc\")
  configure_file(\"${QI_PC_TEMPLATE}\" \"\${_qi_pc_file}\" @ONLY)
  file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig\" TYPE FILE
       FILES \"\${_qi_pc_file}\")
")

# ---- CMake package: find_package(qinfer CONFIG) ----
# qinfer::qinfer_static (libqinfer.a; links Threads::Threads and m), qinfer::qinfer_shared (libqinfer.so) and
# qinfer::qinfer (the static one, as docs/building.md recommends). Paths are relative to the installed
# qinferConfig.cmake, so an installed tree can be moved.
file(RELATIVE_PATH QI_CMAKEDIR_TO_PREFIX "/qi_prefix/${QI_INSTALL_CMAKEDIR}" "/qi_prefix")
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(QI_CM_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(QI_CM_${dir} "\${_qinfer_prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/qinferTargets.cmake CONTENT "# Imported targets of an installed qinfer ${PROJECT_VERSION} (written by cmake/install.cmake).
if(TARGET qinfer::qinfer_static)
  return()
endif()
get_filename_component(_qinfer_prefix \"\${CMAKE_CURRENT_LIST_DIR}/${QI_CMAKEDIR_TO_PREFIX}\" ABSOLUTE)

add_library(qinfer::qinfer_static STATIC IMPORTED)
set_target_properties(qinfer::qinfer_static PROPERTIES
  IMPORTED_LOCATION \"${QI_CM_LIBDIR}/$<TARGET_FILE_NAME:qinfer_static>\"
  IMPORTED_LINK_INTERFACE_LANGUAGES C
  INTERFACE_INCLUDE_DIRECTORIES \"${QI_CM_INCLUDEDIR}\"
  INTERFACE_LINK_LIBRARIES \"Threads::Threads;m\")

add_library(qinfer::qinfer_shared SHARED IMPORTED)
set_target_properties(qinfer::qinfer_shared PROPERTIES
  IMPORTED_LOCATION \"${QI_CM_LIBDIR}/$<TARGET_FILE_NAME:qinfer_shared>\"
  IMPORTED_SONAME \"$<TARGET_SONAME_FILE_NAME:qinfer_shared>\"
  INTERFACE_INCLUDE_DIRECTORIES \"${QI_CM_INCLUDEDIR}\")

add_library(qinfer::qinfer INTERFACE IMPORTED)
set_target_properties(qinfer::qinfer PROPERTIES INTERFACE_LINK_LIBRARIES qinfer::qinfer_static)

foreach(_qinfer_file \"${QI_CM_LIBDIR}/$<TARGET_FILE_NAME:qinfer_static>\"
                     \"${QI_CM_LIBDIR}/$<TARGET_FILE_NAME:qinfer_shared>\" \"${QI_CM_INCLUDEDIR}/qinfer.h\")
  if(NOT EXISTS \"\${_qinfer_file}\")
    message(FATAL_ERROR \"qinfer package at \${_qinfer_prefix}: \${_qinfer_file} is missing\")
  endif()
endforeach()
unset(_qinfer_file)
unset(_qinfer_prefix)
")
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/qinferConfig.cmake.in
                              ${CMAKE_CURRENT_BINARY_DIR}/qinferConfig.cmake
                              INSTALL_DESTINATION ${QI_INSTALL_CMAKEDIR} NO_SET_AND_CHECK_MACRO)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/qinferConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/qinferConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/qinferConfigVersion.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/qinferTargets.cmake
        DESTINATION ${QI_INSTALL_CMAKEDIR})
