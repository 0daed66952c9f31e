# FMKIT_FUZZ=ON: libFuzzer targets for fmkit's own parsers (tests/fuzz/, run by scripts/fuzz.sh).
#
# Needs clang (CMAKE_CXX_COMPILER=clang++) with Debian's libclang-rt-14-dev, which holds libFuzzer
# and the sanitizer runtimes. Everything this build compiles — fmkit_core and the targets — gets
# libFuzzer's coverage instrumentation with AddressSanitizer and UndefinedBehaviorSanitizer
# (-fsanitize=fuzzer-no-link,address,undefined); each target links -fsanitize=fuzzer,... and only
# fmkit_core. Build just the targets (`cmake --build build-fuzz --target fmkit_fuzz`): the LibTorch
# part is configured but never compiled. Use a build directory of its own (build-fuzz).
#
# Also on in this build, because a fuzzer only finds what makes a process stop:
#   -fno-sanitize-recover=all  a UBSan report aborts (by default it prints and goes on);
#   -UNDEBUG                   assert() and nlohmann's JSON_ASSERT stay on whatever the build
#                              type (a missing key read through a const operator[] aborts);
#   -D_GLIBCXX_ASSERTIONS      libstdc++ checks operator[], front(), back() ... on its containers
#                              (ABI-compatible, unlike _GLIBCXX_DEBUG).
if(FMKIT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "fmkit: FMKIT_FUZZ needs clang (-DCMAKE_CXX_COMPILER=clang++, Debian "
                        "package 'clang'), not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  include(CheckCXXSourceCompiles)
  set(CMAKE_REQUIRED_FLAGS "-fsanitize=fuzzer,address,undefined")
  check_cxx_source_compiles([[
    #include <cstddef>
    #include <cstdint>
    extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, std::size_t) { return 0; }
  ]] FM_HAVE_LIBFUZZER)
  unset(CMAKE_REQUIRED_FLAGS)
  if(NOT FM_HAVE_LIBFUZZER)
    message(FATAL_ERROR "fmkit: clang cannot link -fsanitize=fuzzer,address,undefined — install "
                        "the Debian package 'libclang-rt-14-dev' (or run scripts/fuzz.sh)")
  endif()
  set(FM_FUZZ_SANITIZERS "address,undefined")
  add_compile_options(-fsanitize=fuzzer-no-link,${FM_FUZZ_SANITIZERS} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer -g -UNDEBUG -D_GLIBCXX_ASSERTIONS)
endif()
