#pragma once
// FM_SIMD_CLONES: compile a hot element loop for AVX-512, AVX2 and the x86-64 baseline; the loader
// picks the best the CPU has (GCC function multiversioning). Elsewhere the function is compiled
// once. The loops must be free of control flow to vectorise (see the COMPILE_OPTIONS of their
// files in src/CMakeLists.txt).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define FM_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FM_SIMD_CLONES
#endif
