# Run at build time (cmake -P) by the fm_git_commit target: writes OUTPUT, a header defining
# FMKIT_GIT_SHA as the checkout's commit (12 hex digits, "-dirty" when tracked files differ from
# it; "unknown" without git or outside a checkout). The file is rewritten only when the value
# changes, so a build recompiles version.cpp after a commit and nothing otherwise. (Computed at
# configure time, the commit went stale: binaries and run manifests named an older commit.)
set(sha "unknown")
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --short=12 HEAD
                  WORKING_DIRECTORY "${SOURCE_DIR}" OUTPUT_VARIABLE head
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
  if(rc EQUAL 0 AND head)
    set(sha "${head}")
    execute_process(COMMAND "${GIT_EXECUTABLE}" status --porcelain --untracked-files=no
                    WORKING_DIRECTORY "${SOURCE_DIR}" OUTPUT_VARIABLE changes ERROR_QUIET)
    if(changes)
      set(sha "${sha}-dirty")
    endif()
  endif()
endif()
set(content "#pragma once\n#define FMKIT_GIT_SHA \"${sha}\"\n")
set(old "")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
endif()
if(NOT old STREQUAL content)
  file(WRITE "${OUTPUT}" "${content}")
endif()
