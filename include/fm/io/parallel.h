#pragma once
/// \file
/// A minimal fork-join helper for the torch-free core (the LibTorch code uses its own pool).

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace fm {

/// Runs job(k) for k in [0, jobs) on up to `threads` threads, the caller's included; jobs are
/// handed out in order, one at a time, so uneven jobs balance. The first exception a job throws is
/// rethrown here once all threads are done (the remaining jobs are skipped).
template <typename Job>
void run_jobs(std::size_t jobs, int threads, Job&& job) {
  const std::size_t workers =
      std::min<std::size_t>(jobs, static_cast<std::size_t>(std::max(threads, 1)));
  if (workers <= 1) {
    for (std::size_t k = 0; k < jobs; ++k) job(k);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::vector<std::exception_ptr> errors(workers);
  auto work = [&](std::size_t w) {
    try {
      for (std::size_t k = next++; k < jobs; k = next++) job(k);
    } catch (...) {
      errors[w] = std::current_exception();
      next = jobs;
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace fm
