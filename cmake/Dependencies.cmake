# Every external dependency, found from Debian 12 packages. A missing one names the package to install
# (scripts/setup.sh installs them all).

macro(fm_require pkg_name debian_pkg)
  find_package(${pkg_name} ${ARGN} QUIET)
  if(NOT ${pkg_name}_FOUND)
    message(FATAL_ERROR "fmkit: ${pkg_name} not found — install the Debian package '${debian_pkg}' "
                        "(or run scripts/setup.sh)")
  endif()
endmacro()

if(TARGET torch)
  set(FM_TORCH_FOUND_BY_PARENT ON)  # a parent project found LibTorch before add_subdirectory(fmkit)
endif()
fm_require(Torch libtorch-dev)
fm_require(CLI11 libcli11-dev)
fm_require(nlohmann_json nlohmann-json3-dev)
fm_require(spdlog libspdlog-dev)
find_package(Threads REQUIRED)

# utf8proc and RE2 ship no CMake config on Debian 12 (RE2 only pkg-config metadata): header +
# library become the imported targets fmkit::utf8proc and fmkit::re2, and LibTorch's variables the
# imported target fmkit::torch. The installed fmkitConfig.cmake recreates them from the same file,
# which is what lets fmkit::core and fmkit::fmkit be exported (cmake/fmkitPackage.cmake).
include(${CMAKE_CURRENT_LIST_DIR}/fmkitDependencyTargets.cmake)
fmkit_dependency_target_utf8proc(FM_UTF8PROC_FOUND)
if(NOT FM_UTF8PROC_FOUND)
  message(FATAL_ERROR "fmkit: utf8proc not found — install the Debian package 'libutf8proc-dev'")
endif()
fmkit_dependency_target_re2(FM_RE2_FOUND)
if(NOT FM_RE2_FOUND)
  message(FATAL_ERROR "fmkit: RE2 not found — install the Debian package 'libre2-dev' "
                      "(or run scripts/setup.sh)")
endif()
# Torch's imported targets carry flags we want only on torch code; wrap them once.
fmkit_dependency_target_torch()

# fmkit as a subdirectory of another project: LibTorch's imported targets exist only in this
# directory, but their usage requirements are generator expressions naming them ($<TARGET_PROPERTY:
# torch,...>) that are evaluated in the parent's directory when its targets link fmkit::fmkit. Make
# them, and the imported targets they link, global (not needed when the parent found LibTorch).
function(fm_make_imported_global)
  foreach(item ${ARGN})
    string(REGEX MATCHALL "\\$<TARGET_[A-Z_]+:[^,>]+" refs "${item}")
    set(names "")
    foreach(ref ${refs})
      string(REGEX REPLACE "^\\$<TARGET_[A-Z_]+:" "" ref "${ref}")
      list(APPEND names ${ref})
    endforeach()
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" plain "${item}")
    list(APPEND names ${plain})
    foreach(name ${names})
      if(TARGET ${name})
        get_target_property(imported ${name} IMPORTED)
        get_target_property(global ${name} IMPORTED_GLOBAL)
        get_target_property(aliased ${name} ALIASED_TARGET)
        if(imported AND NOT global AND NOT aliased)
          set_target_properties(${name} PROPERTIES IMPORTED_GLOBAL TRUE)
          get_target_property(deps ${name} INTERFACE_LINK_LIBRARIES)
          if(deps)
            fm_make_imported_global(${deps})
          endif()
        endif()
      endif()
    endforeach()
  endforeach()
endfunction()
if(NOT CMAKE_SOURCE_DIR STREQUAL PROJECT_SOURCE_DIR AND NOT FM_TORCH_FOUND_BY_PARENT)
  fm_make_imported_global(${TORCH_LIBRARIES})
endif()

# The older in-tree names (not exported; bench/ links fm_torch).
add_library(fm_utf8proc INTERFACE)
target_link_libraries(fm_utf8proc INTERFACE fmkit::utf8proc)
add_library(fm_re2 INTERFACE)
target_link_libraries(fm_re2 INTERFACE fmkit::re2)
add_library(fm_torch INTERFACE)
target_link_libraries(fm_torch INTERFACE fmkit::torch)

if(FMKIT_BUILD_TESTS)
  fm_require(GTest libgtest-dev)
  # Reference implementations for the comparison tests (Debian python3-sklearn,
  # python3-keras-preprocessing, python3-numpy): the system interpreter has them.
  find_program(FM_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  if(NOT FM_PYTHON3)
    find_program(FM_PYTHON3 NAMES python3)
  endif()
endif()
