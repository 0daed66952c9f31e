// Times fm::compute_audit on 1M rows × 20 groups with scores and 1000 bootstrap resamples.
// Usage: audit_bench [rows] [groups] [resamples] [threads]

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fm/fairness/audit.h"
#include "fm/fairness/metrics.h"

int main(int argc, char** argv) {
  const std::size_t rows = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const int groups = argc > 2 ? std::atoi(argv[2]) : 20;
  const int64_t resamples = argc > 3 ? std::atoll(argv[3]) : 1000;
  const int64_t threads = argc > 4 ? std::atoll(argv[4]) : 0;
  fm::AuditData d;
  d.classes = {"non_toxic", "toxic"};
  d.group_columns = {"identity"};
  d.group_values.resize(1);
  for (int g = 0; g < groups; ++g) d.group_values[0].push_back("g" + std::to_string(g));
  d.group_codes.assign(1, std::vector<int32_t>(rows));
  d.y_true.resize(rows);
  d.y_pred.resize(rows);
  d.scores.assign(2, std::vector<float>(rows));
  fm::Rng rng(7);
  for (std::size_t i = 0; i < rows; ++i) {
    const auto g = static_cast<int32_t>(rng.next() % static_cast<uint64_t>(groups));
    const int y = rng.uniform() < 0.2 + 0.01 * g ? 1 : 0;
    const double s = 1.0 / (1.0 + std::exp(-(2.0 * y - 1.0 + 0.05 * g + rng.normal())));
    d.group_codes[0][i] = g;
    d.y_true[i] = y;
    d.scores[1][i] = static_cast<float>(s);
    d.scores[0][i] = static_cast<float>(1 - s);
    d.y_pred[i] = s >= 0.5 ? 1 : 0;
  }
  fm::AuditOptions o;
  o.bootstrap_samples = resamples;
  o.threads = threads;
  const auto t0 = std::chrono::steady_clock::now();
  const fm::AuditResult r = fm::compute_audit(d, o);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("compute_audit: %zu rows x %d groups, %lld resamples: %.3f s (%zu metrics)\n", rows,
              groups, static_cast<long long>(resamples), s, r.metrics.size());
  return 0;
}
