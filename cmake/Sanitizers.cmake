# FMKIT_SANITIZE: build everything with sanitizers, e.g. -DFMKIT_SANITIZE=address,undefined (ON
# means the same). scripts/sanitize.sh builds such a tree in build-sanitize/ and runs the unit, CLI
# and bad-input tests in it (CI does too).
#   -O1                         fast enough to run the whole suite, precise enough for reports
#                               (the ASan documentation's recommendation); set after the build
#                               type's flags so that it wins
#   -fno-sanitize-recover=all   a UBSan finding stops the program (by default it prints and goes on,
#                               and a test would pass)
#   -fno-omit-frame-pointer     readable stacks
#   -g1                         line tables only: the reports name file and line, and the build
#                               is far faster than with full debug information (-g: 16 min here)
# LibTorch and OpenBLAS are not instrumented (Debian's binaries); their allocations still go through
# ASan's allocator. Run-time options and the documented suppressions: tests/sanitize/.
set(FMKIT_SANITIZE "OFF" CACHE STRING
    "Sanitizers for every target: OFF, ON (= address,undefined) or a -fsanitize= list")
if(FMKIT_SANITIZE)
  set(FM_SANITIZERS "${FMKIT_SANITIZE}")
  if(FM_SANITIZERS MATCHES "^(ON|on|TRUE|true|1|YES|yes)$")
    set(FM_SANITIZERS "address,undefined")
  endif()
  if(NOT FM_SANITIZERS MATCHES "^[a-z,]+$")
    message(FATAL_ERROR "fmkit: FMKIT_SANITIZE must be OFF, ON or a list such as address,undefined "
                        "(got '${FMKIT_SANITIZE}')")
  endif()
  message(STATUS "fmkit: building with -fsanitize=${FM_SANITIZERS} -O1")
  add_compile_options(-fsanitize=${FM_SANITIZERS} -fno-sanitize-recover=all -fno-omit-frame-pointer
                      -O1 -g1)
  add_link_options(-fsanitize=${FM_SANITIZERS})
endif()
