// fm::configure_threads sets flush-to-zero / denormals-are-zero in every thread that computes: the
// caller, each worker of LibTorch's intra-op pool (which OpenBLAS' OpenMP build shares) and threads
// started afterwards. Read back from MXCSR in each thread; no timing.
#include <gtest/gtest.h>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <mutex>
#include <set>
#include <thread>

#if defined(__x86_64__) || defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "fm/model/runtime.h"

namespace {

#if defined(__x86_64__) || defined(__SSE__)

/// (pool thread id, whether it flushes) for every thread that runs a piece of a parallel_for.
std::set<std::pair<int, bool>> pool_threads(int64_t threads) {
  std::set<std::pair<int, bool>> seen;
  std::mutex mutex;
  at::parallel_for(0, threads * 64, 1, [&](int64_t, int64_t) {
    const bool flushes = fm::thread_flushes_denormals();
    std::lock_guard<std::mutex> lock(mutex);
    seen.insert({at::get_thread_num(), flushes});
  });
  return seen;
}

/// Clears FTZ and DAZ in the calling thread and every pool thread, so that the pool exists and
/// its threads cannot have inherited the bits from the caller.
void clear_flushing_everywhere(int64_t threads) {
  at::set_num_threads(static_cast<int>(threads));
  at::parallel_for(0, threads * 64, 1, [](int64_t, int64_t) {
    _mm_setcsr(_mm_getcsr() & ~0x8040u);
  });
  _mm_setcsr(_mm_getcsr() & ~0x8040u);
  for (const auto& [id, flushes] : pool_threads(threads)) {
    ASSERT_FALSE(flushes) << "could not clear the bits in pool thread " << id;
  }
}

TEST(Runtime, EveryComputeThreadFlushesDenormals) {
  const int before = at::get_num_threads();
  for (const int64_t threads : {2, 3, 1}) {
    clear_flushing_everywhere(threads);
    fm::configure_threads(threads);
    EXPECT_TRUE(fm::thread_flushes_denormals()) << "main thread, threads " << threads;
    const auto seen = pool_threads(threads);
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(threads)) << "threads " << threads;
    for (const auto& [id, flushes] : seen) {
      EXPECT_TRUE(flushes) << "pool thread " << id << " of " << threads;
    }
    bool child = false;
    std::thread([&] { child = fm::thread_flushes_denormals(); }).join();
    EXPECT_TRUE(child) << "a thread started after configure_threads";
  }
  at::set_num_threads(before);
}

TEST(Runtime, FlushedArithmeticGivesZeroForDenormals) {
  fm::configure_threads(1);
  volatile float tiny = 1e-39f;  // a denormal (below FLT_MIN = 1.18e-38)
  volatile float one = 1.0f;
  EXPECT_EQ(tiny * one, 0.0f);  // DAZ: read as zero
  volatile float small = 1e-20f;
  EXPECT_EQ(small * small, 0.0f);  // FTZ: 1e-40 flushed
  // The same in a tensor op that runs through ATen's vectorised kernels.
  auto t = torch::full({64}, 1e-39f) * 1.0f;
  EXPECT_EQ(t.abs().max().item<float>(), 0.0f);
}

#else

TEST(Runtime, DenormalFlushingIsX86Only) { GTEST_SKIP() << "no MXCSR on this architecture"; }

#endif

}  // namespace
