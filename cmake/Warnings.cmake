# Project warning flags, applied per target with fm_set_warnings(target).
function(fm_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-unused-parameter)
endfunction()
