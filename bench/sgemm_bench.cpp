// Measures the float32 matrix-multiply rate LibTorch reaches on this CPU at the LSTM's recurrent
// shape: [batch × (input + hidden)] × [(input + hidden) × 4·hidden], the one product per time step
// and layer that an LSTM cell computes (gates = [x_t, h_{t-1}] · [W_ih; W_hh]ᵀ).
//
// Usage: sgemm_bench [--batch 64] [--input 128] [--hidden 128] [--threads N] [--seconds 0.5]
//                    [--repeat 5] [--json]
//
// One repetition runs torch::mm_out into a preallocated result for about --seconds; the rate is
// 2·M·K·N FLOPs per product. Reports the best repetition (the rate the CPU can reach; a loaded
// machine only lowers it) and the median.

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  int64_t batch = 64, input = 128, hidden = 128;
  int threads = 0, repeat = 5;
  double seconds = 0.5;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "sgemm_bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--batch") {
      batch = std::atoll(next());
    } else if (a == "--input") {
      input = std::atoll(next());
    } else if (a == "--hidden") {
      hidden = std::atoll(next());
    } else if (a == "--threads") {
      threads = std::atoi(next());
    } else if (a == "--seconds") {
      seconds = std::atof(next());
    } else if (a == "--repeat") {
      repeat = std::max(1, std::atoi(next()));
    } else if (a == "--json") {
      json = true;
    } else {
      std::fprintf(stderr,
                   "usage: sgemm_bench [--batch 64] [--input 128] [--hidden 128] [--threads N] "
                   "[--seconds 0.5] [--repeat 5] [--json]\n");
      return 2;
    }
  }
  if (threads > 0) torch::set_num_threads(threads);
  torch::NoGradGuard no_grad;
  torch::manual_seed(1);
  const int64_t m = batch, k = input + hidden, n = 4 * hidden;
  const auto a = torch::randn({m, k});
  // Stored as PyTorch keeps LSTM weights, [4H × (in + H)], and used transposed.
  const auto w = torch::randn({n, k});
  const auto wt = w.t();
  auto c = torch::empty({m, n});
  const double flop = 2.0 * static_cast<double>(m) * static_cast<double>(k) * static_cast<double>(n);

  using clock = std::chrono::steady_clock;
  for (int i = 0; i < 20; ++i) torch::mm_out(c, a, wt);  // warm-up (threads, caches)
  std::vector<double> rates;
  for (int r = 0; r < repeat; ++r) {
    int64_t iters = 0;
    const auto t0 = clock::now();
    double elapsed = 0;
    do {
      for (int i = 0; i < 16; ++i) torch::mm_out(c, a, wt);
      iters += 16;
      elapsed = std::chrono::duration<double>(clock::now() - t0).count();
    } while (elapsed < seconds);
    rates.push_back(flop * static_cast<double>(iters) / elapsed / 1e9);
  }
  std::sort(rates.begin(), rates.end());
  const double best = rates.back();
  const double median = rates[rates.size() / 2];
  if (json) {
    std::printf("{\"m\": %lld, \"k\": %lld, \"n\": %lld, \"threads\": %d, \"best_gflops\": %.3f, "
                "\"median_gflops\": %.3f, \"repeat\": %d, \"torch_version\": \"%s\"}\n",
                static_cast<long long>(m), static_cast<long long>(k), static_cast<long long>(n),
                torch::get_num_threads(), best, median, repeat, TORCH_VERSION);
  } else {
    std::printf("sgemm [%lld x %lld] x [%lld x %lld], %d thread(s): best %.2f GFLOP/s, median "
                "%.2f GFLOP/s\n",
                static_cast<long long>(m), static_cast<long long>(k), static_cast<long long>(k),
                static_cast<long long>(n), torch::get_num_threads(), best, median);
  }
  return 0;
}
