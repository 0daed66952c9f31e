#include "fm/model/runtime.h"


#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define FM_HAVE_MXCSR 1
#endif

#include <ATen/Parallel.h>
#include <torch/torch.h>
#include <torch/version.h>

#include "fm/io/memory.h"
#include "fm/version.h"

namespace fm {

std::string torch_version() { return TORCH_VERSION; }

std::string blas_in_use() {
  // Debian's LibTorch links the generic libblas.so.3, which the alternatives system points at
  // reference BLAS or OpenBLAS; the mapped file tells which one this process really got.
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    auto pos = line.find('/');
    if (pos == std::string::npos) continue;
    std::string path = line.substr(pos);
    auto name = std::filesystem::path(path).filename().string();
    if (name.rfind("libblas.so", 0) != 0 && name.rfind("libopenblas", 0) != 0 &&
        name.rfind("libmkl", 0) != 0) {
      continue;
    }
    std::error_code ec;
    auto real = std::filesystem::canonical(path, ec).string();
    if (ec) real = path;
    if (real.find("openblas") != std::string::npos) {
      auto variant = real.find("openmp") != std::string::npos ? "openblas-openmp"
                     : real.find("pthread") != std::string::npos ? "openblas-pthread"
                                                                  : "openblas";
      return std::string(variant) + " (" + real + ")";
    }
    if (real.find("mkl") != std::string::npos) return "mkl (" + real + ")";
    return "reference BLAS (" + real +
           ") — slow: install libopenblas0-openmp for ~12x faster training";
  }
  return "none loaded";
}

namespace {

#ifdef FM_HAVE_MXCSR
constexpr unsigned kFlushToZero = 0x8000;       // MXCSR.FTZ: denormal results become 0
constexpr unsigned kDenormalsAreZero = 0x0040;  // MXCSR.DAZ: denormal inputs read as 0
#endif

void flush_denormals_here() {
#ifdef FM_HAVE_MXCSR
  _mm_setcsr(_mm_getcsr() | kFlushToZero | kDenormalsAreZero);
#endif
}

}  // namespace

bool thread_flushes_denormals() {
#ifdef FM_HAVE_MXCSR
  const unsigned both = kFlushToZero | kDenormalsAreZero;
  return (_mm_getcsr() & both) == both;
#else
  return false;
#endif
}

void flush_denormals_in_compute_threads() {
  flush_denormals_here();
  // One index per pool thread with a grain of 1: ATen's OpenMP parallel_for gives each thread of
  // the team exactly one index, so every worker runs this once (MXCSR is per thread and stays).
  const int64_t workers = at::get_num_threads();
  if (workers > 1) at::parallel_for(0, workers, 1, [](int64_t, int64_t) { flush_denormals_here(); });
}

int64_t configure_threads(int64_t threads) {
  // Training allocates and frees the same large tensors every step (see keep_freed_memory).
  keep_freed_memory();
  if (threads <= 0) {
    threads = static_cast<int64_t>(std::thread::hardware_concurrency());
    if (threads <= 0) threads = 1;
  }
  torch::set_num_threads(static_cast<int>(threads));
  flush_denormals_in_compute_threads();
  return threads;
}

std::string version_text(const std::string& program) {
  std::ostringstream out;
  out << program << " (fmkit) " << fmkit_version() << "\n"
      << "commit:   " << git_commit() << "\n"
      << "libtorch: " << torch_version() << "\n"
      << "blas:     " << blas_in_use() << "\n"
      << "threads:  " << std::thread::hardware_concurrency() << " cores\n";
  return out.str();
}

}  // namespace fm
