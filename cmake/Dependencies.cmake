# Every external dependency, found from Debian 12 packages. A missing one names the package to install
# (scripts/setup.sh installs them all).

macro(fm_require pkg_name debian_pkg)
  find_package(${pkg_name} ${ARGN} QUIET)
  if(NOT ${pkg_name}_FOUND)
    message(FATAL_ERROR "fmkit: ${pkg_name} not found — install the Debian package '${debian_pkg}' "
                        "(or run scripts/setup.sh)")
  endif()
endmacro()

fm_require(Torch libtorch-dev)
fm_require(CLI11 libcli11-dev)
fm_require(nlohmann_json nlohmann-json3-dev)
fm_require(spdlog libspdlog-dev)
find_package(Threads REQUIRED)

# utf8proc ships no CMake config on Debian 12: find header + library directly.
find_path(UTF8PROC_INCLUDE_DIR utf8proc.h)
find_library(UTF8PROC_LIBRARY NAMES utf8proc)
if(NOT UTF8PROC_INCLUDE_DIR OR NOT UTF8PROC_LIBRARY)
  message(FATAL_ERROR "fmkit: utf8proc not found — install the Debian package 'libutf8proc-dev'")
endif()
add_library(fm_utf8proc INTERFACE)
target_include_directories(fm_utf8proc INTERFACE ${UTF8PROC_INCLUDE_DIR})
target_link_libraries(fm_utf8proc INTERFACE ${UTF8PROC_LIBRARY})

# RE2 ships only pkg-config metadata on Debian 12 (no re2Config.cmake): find header + library.
find_path(RE2_INCLUDE_DIR re2/re2.h)
find_library(RE2_LIBRARY NAMES re2)
if(NOT RE2_INCLUDE_DIR OR NOT RE2_LIBRARY)
  message(FATAL_ERROR "fmkit: RE2 not found — install the Debian package 'libre2-dev' "
                      "(or run scripts/setup.sh)")
endif()
add_library(fm_re2 INTERFACE)
target_include_directories(fm_re2 INTERFACE ${RE2_INCLUDE_DIR})
target_link_libraries(fm_re2 INTERFACE ${RE2_LIBRARY} Threads::Threads)

# Torch's imported targets carry flags we want only on torch code; wrap them once.
add_library(fm_torch INTERFACE)
target_link_libraries(fm_torch INTERFACE ${TORCH_LIBRARIES})
target_include_directories(fm_torch INTERFACE ${TORCH_INCLUDE_DIRS})

if(FMKIT_BUILD_TESTS)
  fm_require(GTest libgtest-dev)
  # Reference implementations for the comparison tests (Debian python3-sklearn,
  # python3-keras-preprocessing, python3-numpy): the system interpreter has them.
  find_program(FM_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  if(NOT FM_PYTHON3)
    find_program(FM_PYTHON3 NAMES python3)
  endif()
endif()
