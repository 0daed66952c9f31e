# cmake -P driver of the ctest test `install` (tests/install/CMakeLists.txt passes the -D values):
#   1. `cmake --install` the current build into a fresh prefix (removed first) under WORK_DIR;
#   2. checks the installed tree: every header of include/fm and nothing else (no src/ header), the
#      two static libraries, the fm-* binaries and no test binaries, the package files, and no
#      precompiled header or build/source path in the exported targets; runs two installed binaries;
#   3. configures, builds and runs two consumers against the prefix with the main build's generator
#      and compiler: consumer_core (find_package(fmkit COMPONENTS core), fmkit::core, no LibTorch)
#      and consumer_torch (COMPONENTS fmkit, fmkit::fmkit); consumer_core is also configured with a
#      plain find_package(fmkit) while LibTorch is disabled.
# Any failure is a FATAL_ERROR (non-zero exit).
#
# Inputs: BUILD_DIR, SOURCE_ROOT (fmkit's source tree), TEST_SOURCE_DIR (this folder), WORK_DIR,
# CONFIG, GENERATOR, MAKE_PROGRAM, CXX_COMPILER, CONSUMER_CXX_FLAGS, CONSUMER_LINKER_FLAGS.
cmake_minimum_required(VERSION 3.18)

foreach(var BUILD_DIR SOURCE_ROOT TEST_SOURCE_DIR WORK_DIR GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_install_test.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT CONFIG)
  set(CONFIG Release)
endif()

set(prefix ${WORK_DIR}/prefix)

function(step title)
  string(TIMESTAMP now "%H:%M:%S")
  message(STATUS "[${now}] ${title}")
endfunction()

# Runs a command; on failure prints its output and stops.
function(run_checked what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (exit ${rc}):\n${out}\n${err}")
  endif()
  set(last_output "${out}${err}" PARENT_SCOPE)
endfunction()

# 1. Install into a clean prefix.
step("cleaning ${WORK_DIR}")
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
step("cmake --install ${BUILD_DIR} --prefix ${prefix}")
run_checked("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix} --config ${CONFIG})

# 2. The installed tree.
step("checking the installed tree")
set(problems "")
file(GLOB_RECURSE source_headers RELATIVE ${SOURCE_ROOT}/include ${SOURCE_ROOT}/include/fm/*.h
     ${SOURCE_ROOT}/include/fm/*.hpp)
file(GLOB_RECURSE installed_includes RELATIVE ${prefix}/include ${prefix}/include/*)
list(SORT source_headers)
list(SORT installed_includes)
if(NOT source_headers STREQUAL installed_includes)
  set(extra ${installed_includes})
  list(REMOVE_ITEM extra ${source_headers})
  set(missing ${source_headers})
  if(installed_includes)
    list(REMOVE_ITEM missing ${installed_includes})
  endif()
  string(APPEND problems "include/ should hold exactly the headers of include/fm: extra [${extra}], "
                         "missing [${missing}]\n")
endif()

file(GLOB_RECURSE config_files ${prefix}/*/fmkitConfig.cmake)
list(LENGTH config_files n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one fmkitConfig.cmake under ${prefix}, found [${config_files}]")
endif()
get_filename_component(config_dir ${config_files} DIRECTORY)
get_filename_component(lib_dir ${config_dir}/../.. ABSOLUTE)
foreach(f ${lib_dir}/libfmkit_core.a ${lib_dir}/libfmkit.a ${config_dir}/fmkitConfigVersion.cmake
          ${config_dir}/fmkitCoreTargets.cmake ${config_dir}/fmkitTorchTargets.cmake
          ${config_dir}/fmkitDependencyTargets.cmake)
  if(NOT EXISTS ${f})
    string(APPEND problems "missing ${f}\n")
  endif()
endforeach()

foreach(app fm-train fm-eval fm-audit fm-audit-run fm-privacy)
  if(NOT EXISTS ${prefix}/bin/${app})
    string(APPEND problems "missing bin/${app}\n")
  endif()
endforeach()
file(GLOB bin_files RELATIVE ${prefix}/bin ${prefix}/bin/*)
foreach(f ${bin_files})
  if(NOT f MATCHES "^fm-")
    string(APPEND problems "bin/${f} is not a front-end (test or tool binary installed?)\n")
  endif()
endforeach()

file(GLOB_RECURSE all_installed RELATIVE ${prefix} ${prefix}/*)
foreach(f ${all_installed})
  if(f MATCHES "(\\.gch|\\.pch|cmake_pch[^/]*)$" OR f MATCHES "(^|/)(src|tests|generated)/")
    string(APPEND problems "build detail installed: ${f}\n")
  endif()
endforeach()

file(GLOB target_files ${config_dir}/fmkit*Targets*.cmake)
foreach(f ${target_files})
  file(READ ${f} text)
  foreach(bad PRECOMPILE cmake_pch "${SOURCE_ROOT}/" "${BUILD_DIR}/" fm_utf8proc fm_re2 fm_torch)
    string(FIND "${text}" "${bad}" at)
    if(NOT at EQUAL -1)
      string(APPEND problems "${f} mentions '${bad}' (a build detail in the export)\n")
    endif()
  endforeach()
endforeach()

if(problems)
  message(FATAL_ERROR "installed tree under ${prefix}:\n${problems}")
endif()

# The installed front-ends run (fm-audit without LibTorch, fm-train with it).
foreach(app fm-audit fm-train)
  run_checked("installed ${app} --version" ${prefix}/bin/${app} --version)
endforeach()

# 3. The consumers.
set(common_args -G "${GENERATOR}" -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=${CONFIG}
    "-DCMAKE_PREFIX_PATH=${prefix}" -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON
    "-DCMAKE_CXX_FLAGS=${CONSUMER_CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_LINKER_FLAGS}")
if(MAKE_PROGRAM)
  list(APPEND common_args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()

# Configures, builds and runs tests/install/<name>; extra arguments go to the configure step.
function(consumer name)
  set(bin_dir ${WORK_DIR}/${name})
  step("configuring ${name}")
  run_checked("configuring ${name}" ${CMAKE_COMMAND} -S ${TEST_SOURCE_DIR}/${name} -B ${bin_dir}
              ${common_args} ${ARGN})
  step("building ${name}")
  run_checked("building ${name}" ${CMAKE_COMMAND} --build ${bin_dir} --config ${CONFIG})
  set(exe "")
  foreach(candidate ${bin_dir}/${name} ${bin_dir}/${CONFIG}/${name})
    if(EXISTS ${candidate})
      set(exe ${candidate})
      break()
    endif()
  endforeach()
  if(NOT exe)
    message(FATAL_ERROR "${name} was built but its executable is not in ${bin_dir}")
  endif()
  step("running ${name}")
  run_checked("running ${name}" ${exe})
  message("${last_output}")
endfunction()

consumer(consumer_core)
consumer(consumer_torch)

# Plain find_package(fmkit) for core usage, with LibTorch made unfindable: must still configure.
step("configuring consumer_core with find_package(fmkit) and LibTorch disabled")
run_checked("configuring consumer_core (plain find_package, no LibTorch)"
            ${CMAKE_COMMAND} -S ${TEST_SOURCE_DIR}/consumer_core -B ${WORK_DIR}/consumer_core_plain
            ${common_args} -DFM_PLAIN_FIND=ON -DCMAKE_DISABLE_FIND_PACKAGE_Torch=ON)

step("install test passed")
