# Imported targets for the dependencies that ship no CMake package on Debian 12 (utf8proc, RE2) and
# one wrapper for LibTorch's variables. Read by the build (cmake/Dependencies.cmake) and installed
# next to fmkitConfig.cmake, which reads it again in the consumer's project: the exported link
# interface of fmkit::core / fmkit::fmkit names these targets, so both sides must define them the
# same way (an internal INTERFACE target would bake this machine's paths into the export).
#
#   fmkit_dependency_target_utf8proc(<found-var>)  fmkit::utf8proc  (header + libutf8proc)
#   fmkit_dependency_target_re2(<found-var>)       fmkit::re2       (header + libre2, Threads)
#   fmkit_dependency_target_torch()                fmkit::torch     (after find_package(Torch))
#
# Each sets <found-var> TRUE or FALSE and creates its target only once per directory scope. The
# targets are IMPORTED (not GLOBAL), like those of any find_package.

function(fmkit_dependency_target_utf8proc found_var)
  if(NOT TARGET fmkit::utf8proc)
    find_path(UTF8PROC_INCLUDE_DIR utf8proc.h)
    find_library(UTF8PROC_LIBRARY NAMES utf8proc)
    if(NOT UTF8PROC_INCLUDE_DIR OR NOT UTF8PROC_LIBRARY)
      set(${found_var} FALSE PARENT_SCOPE)
      return()
    endif()
    add_library(fmkit::utf8proc UNKNOWN IMPORTED)
    set_target_properties(fmkit::utf8proc PROPERTIES
      IMPORTED_LOCATION "${UTF8PROC_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${UTF8PROC_INCLUDE_DIR}")
  endif()
  set(${found_var} TRUE PARENT_SCOPE)
endfunction()

# Needs Threads::Threads (find_package(Threads) first).
function(fmkit_dependency_target_re2 found_var)
  if(NOT TARGET fmkit::re2)
    find_path(RE2_INCLUDE_DIR re2/re2.h)
    find_library(RE2_LIBRARY NAMES re2)
    if(NOT RE2_INCLUDE_DIR OR NOT RE2_LIBRARY OR NOT TARGET Threads::Threads)
      set(${found_var} FALSE PARENT_SCOPE)
      return()
    endif()
    add_library(fmkit::re2 UNKNOWN IMPORTED)
    set_target_properties(fmkit::re2 PROPERTIES
      IMPORTED_LOCATION "${RE2_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${RE2_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES Threads::Threads)
  endif()
  set(${found_var} TRUE PARENT_SCOPE)
endfunction()

# LibTorch's config defines the target `torch` but expects TORCH_LIBRARIES (torch, torch_library —
# which links libtorch with --no-as-needed so its operators register — and libc10) to be linked.
# Must be called where find_package(Torch) set TORCH_LIBRARIES / TORCH_INCLUDE_DIRS.
# LibTorch runs on OpenMP (libgomp): fmkit code that opens OpenMP regions itself links it directly.
function(fmkit_dependency_target_torch)
  if(NOT TARGET fmkit::torch)
    # Not REQUIRED: clang's fuzz build (which compiles no LibTorch code) has no OpenMP runtime.
    find_package(OpenMP QUIET COMPONENTS CXX)
    add_library(fmkit::torch INTERFACE IMPORTED)
    set_target_properties(fmkit::torch PROPERTIES
      INTERFACE_LINK_LIBRARIES "${TORCH_LIBRARIES};${OpenMP_CXX_LIBRARIES}"
      INTERFACE_INCLUDE_DIRECTORIES "${TORCH_INCLUDE_DIRS}")
  endif()
endfunction()
