#include "fm/fairness/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace fm {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

RateValue ratio(double num, double den, Undefined why) {
  if (!(den > 0)) return {kNaN, why};
  return {num / den, Undefined::kNone};
}

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// Below this mean the inversion loops are short and exact; above it the recursions take over.
constexpr double kInversionMean = 16.0;

int64_t binomial_inversion(Rng& rng, int64_t n, double p) {
  const double q = 1.0 - p;
  const double r = p / q;
  const double g = r * static_cast<double>(n + 1);
  const double f0 = std::exp(static_cast<double>(n) * std::log1p(-p));
  for (;;) {
    double u = rng.uniform();
    double f = f0;
    int64_t x = 0;
    while (u > f) {
      u -= f;
      ++x;
      if (x > n) break;  // rounding left some mass: draw again
      f *= g / static_cast<double>(x) - r;
    }
    if (x <= n) return x;
  }
}

}  // namespace

const char* group_rate_name(GroupRate rate) { return metric_info(rate).name; }

RateValue group_rate(GroupRate rate, const ConfusionCounts& c, double all_predicted_positives) {
  const double n = c.count();
  switch (rate) {
    case GroupRate::kCount:
      return {n, Undefined::kNone};
    case GroupRate::kPositives:
      return {c.tp + c.fn, Undefined::kNone};
    case GroupRate::kNegatives:
      return {c.fp + c.tn, Undefined::kNone};
    case GroupRate::kPrevalence:
      return ratio(c.tp + c.fn, n, Undefined::kNoRows);
    case GroupRate::kSelectionRate:
      return ratio(c.tp + c.fp, n, Undefined::kNoRows);
    case GroupRate::kTpr:
      return ratio(c.tp, c.tp + c.fn, Undefined::kNoPositives);
    case GroupRate::kFpr:
      return ratio(c.fp, c.fp + c.tn, Undefined::kNoNegatives);
    case GroupRate::kTnr:
      return ratio(c.tn, c.fp + c.tn, Undefined::kNoNegatives);
    case GroupRate::kFnr:
      return ratio(c.fn, c.tp + c.fn, Undefined::kNoPositives);
    case GroupRate::kPpv:
      return ratio(c.tp, c.tp + c.fp, Undefined::kNoPredictedPositives);
    case GroupRate::kNpv:
      return ratio(c.tn, c.tn + c.fn, Undefined::kNoPredictedNegatives);
    case GroupRate::kFdr:
      return ratio(c.fp, c.tp + c.fp, Undefined::kNoPredictedPositives);
    case GroupRate::kFor:
      return ratio(c.fn, c.tn + c.fn, Undefined::kNoPredictedNegatives);
    case GroupRate::kAccuracy:
      return ratio(c.tp + c.tn, n, Undefined::kNoRows);
    case GroupRate::kF1:
      return ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn, Undefined::kNoPositivesNorPredicted);
    case GroupRate::kPpr:
      if (!(n > 0)) return {kNaN, Undefined::kNoRows};
      return ratio(c.tp + c.fp, all_predicted_positives, Undefined::kNoPredictedPositivesAll);
    default:  // a metric of the catalogue that is not a per-group rate
      break;
  }
  return {kNaN, Undefined::kNoRows};
}

std::string undefined_reason(Undefined why, const std::string& group) {
  const std::string where = group.empty() ? "in the data" : "in group \"" + group + "\"";
  switch (why) {
    case Undefined::kNone:
      return "";
    case Undefined::kNoRows:
      return "no rows " + where;
    case Undefined::kNoPositives:
      return "no positives " + where;
    case Undefined::kNoNegatives:
      return "no negatives " + where;
    case Undefined::kNoPredictedPositives:
      return "no predicted positives " + where;
    case Undefined::kNoPredictedNegatives:
      return "no predicted negatives " + where;
    case Undefined::kNoPositivesNorPredicted:
      return "no positives and no predicted positives " + where;
    case Undefined::kNoPredictedPositivesAll:
      return "no predicted positives in the data";
    case Undefined::kOneClass:
      return "only one class among the AUC's rows " + where;
    case Undefined::kNoComparableGroups:
      return "no group of column \"" + group + "\" has a defined value";
    case Undefined::kUndefinedReference:
      return "undefined for the reference group \"" + group + "\"";
    case Undefined::kZeroReference:
      return "the reference group \"" + group + "\" has rate 0";
    case Undefined::kZeroMaximum:
      return "every group of column \"" + group + "\" has rate 0";
    case Undefined::kEveryClassUndefined:
      return "undefined for every class";
  }
  return "undefined";
}

AucValue roc_auc(const std::vector<double>& scores, const std::vector<uint8_t>& y,
                 const std::vector<double>& w) {
  const std::size_t n = scores.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  auto weight = [&](std::size_t i) { return w.empty() ? 1.0 : w[i]; };
  double wpos = 0, wneg = 0;
  int64_t mpos = 0, mneg = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (y[i]) {
      wpos += weight(i);
      ++mpos;
    } else {
      wneg += weight(i);
      ++mneg;
    }
  }
  AucValue out;
  if (!(wpos > 0) || !(wneg > 0)) {
    out.auc = {kNaN, Undefined::kOneClass};
    return out;
  }
  // Placement of a positive: weighted share of negatives below it (ties count ½); of a negative:
  // share of positives above it.
  std::vector<double> placement(n);
  double neg_below = 0, pos_below = 0, num = 0;
  for (std::size_t b = 0; b < n;) {
    std::size_t e = b;
    double block_pos = 0, block_neg = 0;
    while (e < n && scores[order[e]] == scores[order[b]]) {
      (y[order[e]] ? block_pos : block_neg) += weight(order[e]);
      ++e;
    }
    for (std::size_t k = b; k < e; ++k) {
      const std::size_t i = order[k];
      if (y[i]) {
        placement[i] = (neg_below + 0.5 * block_neg) / wneg;
        num += weight(i) * (neg_below + 0.5 * block_neg);
      } else {
        placement[i] = (wpos - pos_below - 0.5 * block_pos) / wpos;
      }
    }
    neg_below += block_neg;
    pos_below += block_pos;
    b = e;
  }
  const double auc = num / (wpos * wneg);
  double s10 = 0, s01 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = weight(i) * (placement[i] - auc);
    (y[i] ? s10 : s01) += d * d;
  }
  double var = 0;
  if (mpos > 1) var += s10 / (wpos * wpos) * mpos / (mpos - 1.0);
  if (mneg > 1) var += s01 / (wneg * wneg) * mneg / (mneg - 1.0);
  out.auc = {auc, Undefined::kNone};
  out.variance = var;
  return out;
}

std::optional<double> power_mean(const std::vector<double>& xs, double p) {
  if (xs.empty()) return std::nullopt;
  if (p == 0) {
    double s = 0;
    for (double x : xs) {
      if (x <= 0) return 0.0;
      s += std::log(x);
    }
    return std::exp(s / static_cast<double>(xs.size()));
  }
  double s = 0;
  for (double x : xs) {
    if (x <= 0 && p < 0) return 0.0;
    s += std::pow(x, p);
  }
  return std::pow(s / static_cast<double>(xs.size()), 1.0 / p);
}

double normal_quantile(double q) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  double x;
  if (q < 0.02425) {
    const double t = std::sqrt(-2 * std::log(q));
    x = (((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) /
        ((((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1);
  } else if (q <= 1 - 0.02425) {
    const double t = q - 0.5;
    const double r = t * t;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * t /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double t = std::sqrt(-2 * std::log1p(-q));
    x = -(((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) /
        ((((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1);
  }
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - q;
  const double u = e * std::sqrt(2 * 3.14159265358979323846) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

std::optional<double> percentile(std::vector<double>& xs, double q) {
  if (xs.empty()) return std::nullopt;
  const double pos = q * static_cast<double>(xs.size() - 1);
  const std::size_t lo = static_cast<std::size_t>(std::floor(pos));
  const double frac = pos - static_cast<double>(lo);
  std::nth_element(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(lo), xs.end());
  const double a = xs[lo];
  if (frac == 0 || lo + 1 >= xs.size()) return a;
  const double b = *std::min_element(xs.begin() + static_cast<std::ptrdiff_t>(lo) + 1, xs.end());
  return a + (b - a) * frac;
}

Rng::Rng(uint64_t seed, uint64_t stream) {
  uint64_t x = seed ^ (0xD1B54A32D192ED03ULL * (stream + 1));
  for (uint64_t& s : s_) s = splitmix64(x);
}

uint64_t Rng::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() {
  // Centre of one of 2^53 equal bins: never exactly 0 or 1, so log(u) is always finite.
  return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53;
}

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  for (;;) {
    const double u = 2 * uniform() - 1;
    const double v = 2 * uniform() - 1;
    const double s = u * u + v * v;
    if (s >= 1 || s == 0) continue;
    const double m = std::sqrt(-2 * std::log(s) / s);
    spare_ = v * m;
    has_spare_ = true;
    return u * m;
  }
}

double Rng::gamma(double shape) {
  if (shape < 1) return gamma(shape + 1) * std::pow(uniform(), 1.0 / shape);
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9 * d);
  for (;;) {
    const double x = normal();
    double v = 1 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    const double u = uniform();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1 - v + std::log(v))) return d * v;
  }
}

int64_t Rng::binomial(int64_t n, double p) {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomial(n, 1 - p);
  if (static_cast<double>(n) * p < kInversionMean) return binomial_inversion(*this, n, p);
  // The i-th smallest of n uniforms is Beta(i, n + 1 − i); the uniforms below p are then either
  // among the i − 1 smaller ones (uniform on [0, x)) or i plus some of the n − i larger ones.
  const int64_t i = (n + 1) / 2;
  const double g1 = gamma(static_cast<double>(i));
  const double g2 = gamma(static_cast<double>(n + 1 - i));
  const double x = g1 / (g1 + g2);
  if (p < x) return binomial(i - 1, p / x);
  return i + binomial(n - i, (p - x) / (1 - x));
}

int64_t Rng::poisson(double mean) {
  int64_t result = 0;
  while (mean >= kInversionMean) {
    const int64_t m = static_cast<int64_t>(std::floor(0.875 * mean));
    const double x = gamma(static_cast<double>(m));
    if (x < mean) {
      result += m;
      mean -= x;
    } else {
      return result + binomial(m - 1, mean / x);
    }
  }
  if (mean <= 0) return result;
  for (;;) {
    double u = uniform();
    double f = std::exp(-mean);
    int64_t x = 0;
    while (u > f && x < 1000) {
      u -= f;
      ++x;
      f *= mean / static_cast<double>(x);
    }
    if (x < 1000) return result + x;
  }
}

void multinomial(Rng& rng, int64_t n, const std::vector<int64_t>& counts,
                 std::vector<int64_t>& out) {
  out.assign(counts.size(), 0);
  int64_t total = 0;
  for (int64_t c : counts) total += c;
  for (std::size_t c = 0; c < counts.size() && n > 0 && total > 0; ++c) {
    if (counts[c] <= 0) continue;
    const int64_t x =
        counts[c] >= total
            ? n
            : rng.binomial(n, static_cast<double>(counts[c]) / static_cast<double>(total));
    out[c] = x;
    n -= x;
    total -= counts[c];
  }
}

}  // namespace fm
