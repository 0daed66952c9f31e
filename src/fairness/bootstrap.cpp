// Percentile bootstrap of the count-based metrics. A resample of rows is one multinomial draw of
// the row count over the cells (exactly a row resample; Poisson(1) per row when the
// cross-classification has too many cells), so a resample costs one table and one evaluate(), not
// a pass over the rows. Resample r always draws from random stream r of the seed, so the
// intervals do not depend on the number of threads.

#include <algorithm>
#include <cmath>
#include <thread>

#include "audit_plan.h"
#include "fm/io/parallel.h"

namespace fm::audit_detail {
namespace {

// reps[r * point_size + k] = value k of resample r (NaN = undefined).
std::vector<double> draw_resamples(const Plan& plan, const AuditOptions& o,
                                   std::size_t point_size) {
  const auto samples = static_cast<std::size_t>(o.bootstrap_samples);
  const std::size_t m = point_size;
  std::vector<double> reps(samples * m);
  std::size_t threads = o.threads > 0 ? static_cast<std::size_t>(o.threads)
                                      : std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, samples);
  auto work = [&](std::size_t t) {
    std::vector<int64_t> mult;
    Table table;
    std::vector<double> values;
    values.reserve(m);
    Emitter e;
    e.values = &values;
    for (std::size_t r = t; r < samples; r += threads) {
      Rng rng(o.seed, r);
      if (plan.poisson) {
        mult.resize(plan.cell_n.size());
        for (std::size_t c = 0; c < mult.size(); ++c) {
          mult[c] = rng.poisson(static_cast<double>(plan.cell_n[c]));
        }
      } else {
        multinomial(rng, plan.rows, plan.cell_n, mult);
      }
      accumulate(plan, mult, true, table);
      values.clear();
      evaluate(plan, table, e);
      apply_worst(plan, values);
      std::copy(values.begin(), values.end(), reps.begin() + static_cast<std::ptrdiff_t>(r * m));
    }
  };
  run_jobs(threads, static_cast<int>(threads), work);
  return reps;
}

}  // namespace

void bootstrap(const Plan& plan, const AuditOptions& o, std::vector<MetricValue>& metrics,
               const std::vector<double>& point) {
  const auto samples = static_cast<std::size_t>(o.bootstrap_samples);
  const std::size_t m = point.size();
  if (samples == 0 || m == 0) return;
  const std::vector<double> reps = draw_resamples(plan, o, m);
  const double alpha = (1 - o.confidence) / 2;
  std::vector<double> xs;
  for (std::size_t k = 0; k < m; ++k) {
    if (std::isnan(point[k])) continue;
    xs.clear();
    for (std::size_t r = 0; r < samples; ++r) {
      const double x = reps[r * m + k];
      if (!std::isnan(x)) xs.push_back(x);
    }
    if (xs.empty()) continue;
    if (xs.size() < samples) metrics[k].flags.push_back("ci_excludes_undefined_resamples");
    metrics[k].lower = percentile(xs, alpha);
    metrics[k].upper = percentile(xs, 1 - alpha);
  }
}

}  // namespace fm::audit_detail
