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
/// Sets LibTorch intra-op threads (0 = all cores) and returns the number in use. Also flushes
/// denormal floats to zero in every thread that computes (flush_denormals_in_compute_threads).
int64_t configure_threads(int64_t threads);

/// Sets flush-to-zero and denormals-are-zero (MXCSR bits FTZ and DAZ on x86; a no-op elsewhere) in
/// the calling thread and in every worker of LibTorch's intra-op pool, which OpenBLAS' OpenMP
/// build shares; threads started later from a thread that has them inherit them. Why: LSTM gates
/// and Adam's moments pass through denormal floats (|x| < 1.2e-38) early in training, and x86
/// cores take a microcode assist on each one: measured on an Intel Xeon (AVX-512), the first epoch
/// ran 4-7x slower inside OpenBLAS' sgemm until FTZ/DAZ were set, with the same losses to four
/// digits. PyTorch leaves them off by default (torch.set_flush_denormal); the values they change
/// are below 1.2e-38, far under every tolerance fmkit reports.
void flush_denormals_in_compute_threads();

/// Whether the calling thread flushes denormals (FTZ and DAZ set; false where not x86).
bool thread_flushes_denormals();
/// Multi-line text for `--version`: program, fmkit version, commit, LibTorch, BLAS.
std::string version_text(const std::string& program);

}  // namespace fm
