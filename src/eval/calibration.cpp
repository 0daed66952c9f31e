#include "fm/eval/calibration.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>

#include "fm/error.h"

namespace fm {
namespace {

/// log of the smallest positive float: a probability that underflowed to 0 in float softmax.
const double kLogFloor = std::log(static_cast<double>(std::numeric_limits<float>::denorm_min()));

double log_prob(float p) {
  return p > 0 ? std::max(std::log(static_cast<double>(p)), kLogFloor) : kLogFloor;
}

void check_sizes(const std::vector<float>& probabilities, int64_t num_classes,
                 const std::vector<int64_t>& y_true, const char* what) {
  if (num_classes < 1) throw DataError(std::string(what) + ": no classes");
  const auto k = static_cast<std::size_t>(num_classes);
  if (probabilities.size() != y_true.size() * k) {
    throw DataError(std::string(what) + ": " + std::to_string(probabilities.size()) +
                    " probabilities for " + std::to_string(y_true.size()) + " rows of " +
                    std::to_string(k) + " classes");
  }
  for (std::size_t i = 0; i < y_true.size(); ++i) {
    if (y_true[i] < 0 || y_true[i] >= num_classes) {
      throw DataError(std::string(what) + ": label index " + std::to_string(y_true[i]) +
                      " of row " + std::to_string(i) + " is not a class");
    }
  }
}

/// Per-row log-probabilities (floored), rows × k.
std::vector<double> log_probs(const std::vector<float>& probabilities) {
  std::vector<double> out(probabilities.size());
  for (std::size_t i = 0; i < probabilities.size(); ++i) out[i] = log_prob(probabilities[i]);
  return out;
}

/// NLL(β) and its first two derivatives in β for the rows' log-probabilities.
struct NllAt {
  double value = 0, d1 = 0, d2 = 0;
};

NllAt nll_at(const std::vector<double>& lp, std::size_t k, const std::vector<int64_t>& y,
             double beta) {
  NllAt out;
  const std::size_t n = y.size();
  for (std::size_t i = 0; i < n; ++i) {
    const double* l = lp.data() + i * k;
    double m = -std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < k; ++c) m = std::max(m, beta * l[c]);
    double z = 0, mean = 0, second = 0;
    for (std::size_t c = 0; c < k; ++c) {
      const double e = std::exp(beta * l[c] - m);
      z += e;
      mean += e * l[c];
      second += e * l[c] * l[c];
    }
    mean /= z;
    second /= z;
    const double ly = l[static_cast<std::size_t>(y[i])];
    out.value += m + std::log(z) - beta * ly;
    out.d1 += mean - ly;
    out.d2 += std::max(0.0, second - mean * mean);
  }
  out.value /= static_cast<double>(n);
  out.d1 /= static_cast<double>(n);
  out.d2 /= static_cast<double>(n);
  return out;
}

MaybeValue defined(double v) { return MaybeValue{v, ""}; }
MaybeValue undefined(const std::string& reason) { return MaybeValue{std::nullopt, reason}; }

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

/// `num_bins` empty bins of equal width over (0, 1].
std::vector<ReliabilityBin> empty_bins(int num_bins) {
  std::vector<ReliabilityBin> bins(static_cast<std::size_t>(num_bins));
  for (int b = 0; b < num_bins; ++b) {
    bins[static_cast<std::size_t>(b)].lower = static_cast<double>(b) / num_bins;
    bins[static_cast<std::size_t>(b)].upper = static_cast<double>(b + 1) / num_bins;
  }
  return bins;
}

/// Sums over the rows; per bin, the confidences and correct arg-max predictions of its rows.
struct RowSums {
  std::vector<double> confidence;
  std::vector<int64_t> correct;
  double brier = 0, brier_positive = 0, nll = 0;
  int64_t total_correct = 0;
};

/// Adds up every row's squared errors, log-loss and hit, and counts it in the one of the
/// `num_bins` bins that holds its confidence.
RowSums add_up_rows(const std::vector<float>& probabilities, const std::vector<int64_t>& y_true,
                    std::size_t k, int64_t positive, int num_bins,
                    std::vector<ReliabilityBin>& bins) {
  std::vector<double> conf_sum(bins.size(), 0.0);
  std::vector<int64_t> correct(bins.size(), 0);
  double brier = 0, brier_pos = 0, nll = 0;
  int64_t total_correct = 0;
  const std::size_t n = y_true.size();
  for (std::size_t i = 0; i < n; ++i) {
    const float* p = probabilities.data() + i * k;
    std::size_t arg = 0;
    for (std::size_t c = 1; c < k; ++c) {
      if (p[c] > p[arg]) arg = c;
    }
    const double confidence = p[arg];
    const auto y = static_cast<std::size_t>(y_true[i]);
    for (std::size_t c = 0; c < k; ++c) {
      const double d = static_cast<double>(p[c]) - (c == y ? 1.0 : 0.0);
      brier += d * d;
    }
    if (k == 2) {
      const auto pos = static_cast<std::size_t>(positive);
      const double d = static_cast<double>(p[pos]) - (y == pos ? 1.0 : 0.0);
      brier_pos += d * d;
    }
    nll -= log_prob(p[y]);
    const bool ok = arg == y;
    total_correct += ok ? 1 : 0;
    // Bin b holds (b/B, (b+1)/B]: the smallest b with confidence <= (b+1)/B. The division is only
    // a first guess; the comparisons with the same edges as the bins decide.
    if (!(confidence > 0)) continue;
    auto b = static_cast<int>(std::ceil(confidence * num_bins)) - 1;
    b = std::clamp(b, 0, num_bins - 1);
    while (b > 0 && confidence <= bins[static_cast<std::size_t>(b)].lower) --b;
    while (b < num_bins - 1 && confidence > bins[static_cast<std::size_t>(b)].upper) ++b;
    if (confidence > bins[static_cast<std::size_t>(b)].upper) continue;  // > 1: not a probability
    bins[static_cast<std::size_t>(b)].count += 1;
    conf_sum[static_cast<std::size_t>(b)] += confidence;
    correct[static_cast<std::size_t>(b)] += ok ? 1 : 0;
  }
  return RowSums{std::move(conf_sum), std::move(correct), brier, brier_pos, nll, total_correct};
}

/// Each non-empty bin's mean confidence and accuracy, and the ECE and MCE over the bins.
void set_bin_numbers(const RowSums& sums, std::size_t n, CalibrationReport& r) {
  double ece = 0, mce = 0;
  for (std::size_t b = 0; b < r.bins.size(); ++b) {
    auto& bin = r.bins[b];
    if (bin.count == 0) continue;
    const auto count = static_cast<double>(bin.count);
    bin.mean_confidence = sums.confidence[b] / count;
    bin.accuracy = static_cast<double>(sums.correct[b]) / count;
    const double gap = std::fabs(*bin.accuracy - *bin.mean_confidence);
    ece += count / static_cast<double>(n) * gap;
    mce = std::max(mce, gap);
  }
  r.ece = defined(ece);
  r.mce = defined(mce);
}

/// The means over the rows: Brier scores, NLL and accuracy.
void set_row_means(const RowSums& sums, std::size_t n, const std::vector<std::string>& labels,
                   int64_t positive, CalibrationReport& r) {
  const auto dn = static_cast<double>(n);
  const auto k = labels.size();
  r.brier = defined(sums.brier / dn);
  r.nll = defined(sums.nll / dn);
  r.accuracy = defined(static_cast<double>(sums.total_correct) / dn);
  if (k == 2) {
    r.brier_positive = defined(sums.brier_positive / dn);
    r.positive_label = labels[static_cast<std::size_t>(positive)];
  } else {
    r.brier_positive = undefined("brier_positive is for binary tasks (" + std::to_string(k) +
                                 " classes); see brier");
  }
}

}  // namespace

CalibrationReport calibration_report(const std::vector<float>& probabilities,
                                     const std::vector<std::string>& labels,
                                     const std::vector<int64_t>& y_true, int64_t positive,
                                     int num_bins) {
  if (num_bins < 1)
    throw ConfigError("calibration bins must be >= 1 (got " + std::to_string(num_bins) + ")");
  const auto num_classes = static_cast<int64_t>(labels.size());
  check_sizes(probabilities, num_classes, y_true, "calibration");
  const auto k = labels.size();
  const auto n = y_true.size();
  CalibrationReport r;
  r.rows = static_cast<int64_t>(n);
  r.num_classes = num_classes;
  r.bins = empty_bins(num_bins);
  if (k == 2 && positive < 0) positive = 1;
  if (n == 0) {
    const std::string why = "no rows";
    r.ece = r.mce = r.brier = r.brier_positive = r.nll = r.accuracy = undefined(why);
    if (k == 2) r.positive_label = labels[static_cast<std::size_t>(positive)];
    return r;
  }
  const RowSums sums = add_up_rows(probabilities, y_true, k, positive, num_bins, r.bins);
  set_bin_numbers(sums, n, r);
  set_row_means(sums, n, labels, positive, r);
  return r;
}

double temperature_nll(const std::vector<float>& probabilities, int64_t num_classes,
                       const std::vector<int64_t>& y_true, double temperature) {
  check_sizes(probabilities, num_classes, y_true, "temperature");
  if (y_true.empty()) throw DataError("temperature: no rows");
  return nll_at(log_probs(probabilities), static_cast<std::size_t>(num_classes), y_true,
                1.0 / temperature)
      .value;
}

TemperatureFit fit_temperature(const std::vector<float>& probabilities, int64_t num_classes,
                               const std::vector<int64_t>& y_true) {
  check_sizes(probabilities, num_classes, y_true, "temperature scaling");
  if (y_true.empty()) throw DataError("temperature scaling: no rows to fit on");
  const auto k = static_cast<std::size_t>(num_classes);
  const auto lp = log_probs(probabilities);
  TemperatureFit fit;
  const auto at_one = nll_at(lp, k, y_true, 1.0);
  fit.nll_before = at_one.value;
  double lo = 1.0 / kMaxTemperature, hi = 1.0 / kMinTemperature;
  const auto f_lo = nll_at(lp, k, y_true, lo);
  const auto f_hi = nll_at(lp, k, y_true, hi);
  double beta = 1.0;
  if (f_lo.d2 <= 0 && f_hi.d2 <= 0 && at_one.d2 <= 0) {
    // Every row's log-probabilities are equal across classes: the NLL is flat in T.
    fit.note = "the probabilities are uniform in every row: the NLL does not depend on T";
  } else if (f_lo.d1 >= 0) {
    beta = lo;
    fit.at_bound = true;
    fit.note = "the NLL still falls at T = " + fixed(kMaxTemperature, 0) +
               " (the largest temperature searched)";
  } else if (f_hi.d1 <= 0) {
    beta = hi;
    fit.at_bound = true;
    fit.note = "the NLL still falls at T = " + fixed(kMinTemperature, 2) +
               " (the smallest temperature searched; the rows are separated perfectly)";
  } else {
    // d1 is non-decreasing in β: keep a bracket with d1(lo) < 0 < d1(hi), take the Newton step
    // when it stays inside the bracket and bisect otherwise.
    auto cur = at_one;
    for (fit.iterations = 1; fit.iterations <= 200; ++fit.iterations) {
      if (std::fabs(cur.d1) < 1e-12) break;
      if (cur.d1 < 0) {
        lo = beta;
      } else {
        hi = beta;
      }
      if (hi - lo <= 1e-13 * beta) break;
      double next = cur.d2 > 0 ? beta - cur.d1 / cur.d2 : -1.0;
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
      beta = next;
      cur = nll_at(lp, k, y_true, beta);
    }
  }
  fit.temperature = 1.0 / beta;
  fit.nll_after = nll_at(lp, k, y_true, beta).value;
  return fit;
}

void apply_temperature(std::vector<float>& probabilities, int64_t num_classes, double temperature,
                       const std::vector<int64_t>& y_true, std::vector<float>* loss) {
  if (!(temperature > 0) || !std::isfinite(temperature)) {
    throw ConfigError("temperature must be a positive number (got " + fixed(temperature, 6) + ")");
  }
  const auto k = static_cast<std::size_t>(num_classes);
  if (k == 0 || probabilities.size() % k != 0) {
    throw DataError("temperature: " + std::to_string(probabilities.size()) +
                    " probabilities are not rows of " + std::to_string(k) + " classes");
  }
  const std::size_t n = probabilities.size() / k;
  const bool with_loss = loss && !loss->empty() && y_true.size() == n && loss->size() == n;
  const double beta = 1.0 / temperature;
  std::vector<double> z(k);
  for (std::size_t i = 0; i < n; ++i) {
    float* p = probabilities.data() + i * k;
    double m = -std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < k; ++c) {
      z[c] = beta * log_prob(p[c]);
      m = std::max(m, z[c]);
    }
    double sum = 0;
    for (std::size_t c = 0; c < k; ++c) sum += std::exp(z[c] - m);
    const double lse = m + std::log(sum);
    for (std::size_t c = 0; c < k; ++c) p[c] = static_cast<float>(std::exp(z[c] - lse));
    if (with_loss) {
      (*loss)[i] = static_cast<float>(lse - z[static_cast<std::size_t>(y_true[i])]);
    }
  }
}

}  // namespace fm
