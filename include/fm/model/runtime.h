#pragma once
/// \file
/// Facts about the LibTorch runtime: version, BLAS actually loaded, thread setup.

#include <cstdint>
#include <string>

namespace fm {

/// LibTorch version string, e.g. "1.13.1".
std::string torch_version();
/// The BLAS library loaded into this process (resolved path and a short name, e.g.
/// "openblas-openmp"), with a warning when it is the slow reference BLAS.
std::string blas_in_use();
/// Sets LibTorch intra-op threads (0 = all cores) and returns the number in use.
int64_t configure_threads(int64_t threads);
/// Multi-line text for `--version`: program, fmkit version, commit, LibTorch, BLAS.
std::string version_text(const std::string& program);

}  // namespace fm
