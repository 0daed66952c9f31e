#include "fm/privacy/accountant.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>

#include "fm/validation.h"
#include "fm/error.h"

namespace fm::privacy {

namespace {

using validation::invalid;
using validation::show;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kMax = std::numeric_limits<double>::max();
constexpr double kMin = std::numeric_limits<double>::min();  // smallest normal double

// Terms of the fractional-order series: past kMaxSeriesTerms the order is not summed (+∞, which
// rdp_sampled_gaussian bounds by α/(2σ²)); Opacus' loop runs kPlainTailTerms into the
// alternating tail before the rest is summed by acceleration from kAcceleratedTerms terms.
constexpr double kMaxSeriesTerms = 1e6;
constexpr double kPlainTailTerms = 16;
constexpr int kAcceleratedTerms = 24;

// log(exp(x) + exp(y)); +∞ when either is (∞ − ∞ inside would be NaN), NaN when either is.
double log_add(double x, double y) {
  if (std::isnan(x) || std::isnan(y)) return kNaN;
  const double a = std::min(x, y), b = std::max(x, y);
  if (a == -kInf || b == kInf) return b;
  return b + std::log1p(std::exp(a - b));
}

// log(exp(x) − exp(y)) for x ≥ y. Opacus raises when x < y; that only happens through rounding
// when the two are equal to the last bits, so the difference is 0 (−∞ in log space) there.
// ∞ − ∞ is undefined: NaN.
double log_sub(double x, double y) {
  if (std::isnan(x) || std::isnan(y) || (x == kInf && y == kInf)) return kNaN;
  if (y == -kInf) return x;
  if (x <= y) return -kInf;
  return x + std::log1p(-std::exp(y - x));
}

// n / (2σ²) for the exponents (i² − i) / (2σ²) and α / (2σ²). Where σ² is not a normal double
// (σ below ≈ 1.5e-154 or above ≈ 1.3e154) the quotient is taken in log space, so it is ±∞ only
// where the true value is beyond doubles, and n = 0 gives 0 (0 / 0 would be NaN).
double over_two_s2(double n, double sigma, double s2) {
  if (s2 >= kMin && s2 <= kMax) return n / (2 * s2);
  if (n == 0) return 0;
  const double m = std::exp(std::log(std::fabs(n)) - std::log(2.0) - 2 * std::log(sigma));
  return n < 0 ? -m : m;
}

// σ² · n, likewise without ∞ · 0.
double scaled_by_s2(double n, double sigma, double s2) {
  if (s2 >= kMin && s2 <= kMax) return s2 * n;
  if (n == 0) return 0;
  const double m = std::exp(std::log(std::fabs(n)) + 2 * std::log(sigma));
  return n < 0 ? -m : m;
}

// Σ_k (−1)^k a_k from the logs of a_0, …, a_{n−1}, for a_k = ∫₀¹ t^k dμ(t) with μ ≥ 0 (so the
// sum lies in (0, a_0]): Cohen, Rodriguez Villegas & Zagier 2000, "Convergence acceleration of
// alternating series", Algorithm 1. Relative error ≤ 2 / (3 + √8)^n: below 1e-18 for n = 24.
template <size_t N>
double log_alternating_sum(const std::array<double, N>& log_a) {
  const double top = log_a[0];
  if (top == -kInf) return -kInf;
  const double n = static_cast<double>(N);
  double d = std::pow(3 + std::sqrt(8.0), n);
  d = (d + 1 / d) / 2;
  double b = -1, c = -d, s = 0;
  for (size_t k = 0; k < N; ++k) {
    const double dk = static_cast<double>(k);
    c = b - c;
    s += c * std::exp(log_a[k] - top);
    b = (dk + n) * (dk - n) * b / ((dk + 0.5) * (dk + 1));
  }
  // Rounding could only push the result out of (0, a_0] when the terms barely decrease; a_0 is
  // then the safe (upper) answer.
  const double frac = s / d;
  return frac > 0 && frac <= 1 ? top + std::log(frac) : top;
}

void check_q_sigma(double q, double sigma) {
  if (!(q >= 0 && q <= 1)) invalid("sample rate q", "in [0, 1]", show(q));
  if (!(sigma >= 0) || std::isinf(sigma)) {
    invalid("noise multiplier", ">= 0 and finite", show(sigma));
  }
}

void check_delta(double delta) {
  if (!(delta > 0 && delta < 1)) invalid("delta", "in (0, 1)", show(delta));
}

void check_orders(const std::vector<double>& orders) {
  if (orders.empty()) throw ConfigError("RDP orders: at least one order is needed");
  for (double a : orders) {
    if (!(a > 1)) invalid("RDP order", "> 1", show(a));
  }
}

template <typename Conversion>
PrivacySpent convert(const std::vector<double>& orders, const std::vector<double>& rdp,
                     double delta, Conversion eps_at) {
  check_delta(delta);
  check_orders(orders);
  if (orders.size() != rdp.size()) {
    throw ConfigError("RDP curve: " + std::to_string(rdp.size()) + " values for " +
                      std::to_string(orders.size()) + " orders");
  }
  PrivacySpent best{kInf, kNaN};
  bool any = false;
  for (size_t i = 0; i < orders.size(); ++i) {
    const double eps = eps_at(orders[i], rdp[i]);
    if (std::isnan(eps)) continue;  // np.nanargmin
    if (!any || eps < best.epsilon) {
      best = {eps, orders[i]};
      any = true;
    }
  }
  if (!any || std::isinf(best.epsilon)) return {kInf, kNaN};
  return best;
}

}  // namespace

namespace detail {

double log_erfc(double x) {
  // erfc(x) > 1e-176 for x < 20: the library erfc is accurate there. Beyond, the asymptotic
  // expansion erfc(x) = exp(−x²)/(x√π) · Σ_n (−1)^n (2n−1)!! / (2x²)^n, whose terms shrink
  // fast for x ≥ 20 (the 12th is below 1e-20 of the first).
  if (x < 20) return std::log(std::erfc(x));
  const double r = 1.0 / (2.0 * x * x);
  double term = 1, sum = 1;
  for (int n = 1; n <= 12; ++n) {
    term *= -(2.0 * n - 1.0) * r;
    sum += term;
  }
  constexpr double kHalfLogPi = 0.57236494292470008707;  // log(π) / 2
  return -x * x - std::log(x) - kHalfLogPi + std::log(sum);
}

double log_a_integer(double q, double sigma, int64_t alpha) {
  // A_α = Σ_{i=0}^{α} C(α, i) q^i (1−q)^{α−i} exp((i² − i) / (2σ²)), Opacus' closed form. The
  // binomial weights sum to 1 and the i = 0, 1 exponents are 0, so
  // A_α − 1 = Σ_{i≥2} C(α, i) q^i (1−q)^{α−i} expm1((i² − i) / (2σ²)): a sum of positive terms,
  // which keeps full relative precision when A_α − 1 is tiny (small q), where summing terms of
  // size ≈ 1 first would leave only rounding error.
  const double log_q = std::log(q), log_1mq = std::log1p(-q);
  const double lgamma_a1 = std::lgamma(static_cast<double>(alpha) + 1);
  const double s2 = sigma * sigma;
  double log_am1 = -kInf;
  for (int64_t i = 2; i <= alpha; ++i) {
    const double di = static_cast<double>(i), dj = static_cast<double>(alpha - i);
    const double log_coef =
        lgamma_a1 - std::lgamma(di + 1) - std::lgamma(dj + 1) + di * log_q + dj * log_1mq;
    const double x = over_two_s2(di * di - di, sigma, s2);
    const double log_expm1 = x < 30 ? std::log(std::expm1(x)) : x + std::log1p(-std::exp(-x));
    log_am1 = log_add(log_am1, log_coef + log_expm1);
    if (log_am1 == kInf) break;  // σ² so small that a term is beyond doubles: A_α = +∞
  }
  return log_add(0.0, log_am1);  // log(1 + (A_α − 1))
}

double log_a_fractional(double q, double sigma, double alpha) {
  // A_α as the integrals over (−∞, z0] and [z0, ∞), z0 = σ² log(1/q − 1) + 1/2, each a series
  // in i with generalized binomial coefficients C(α, i) (Mironov et al. 2019, Section 3.3).
  // Term i of either series is C(α, i) · K · erfcx(w_i), with K > 0 the same for all i and w_i
  // increasing in i; erfcx decreases. So from i0 = ⌊α⌋ + 1 on, where the signs of C(α, i)
  // alternate and |C(α, i)| decreases, both series are alternating with decreasing terms (the
  // rest after a term is smaller than it), and the terms' magnitudes are moments of a positive
  // measure on [0, 1] (|C(α, i)| a Beta integral, erfcx a Laplace transform), which is what the
  // acceleration below needs. Before i0 every term is positive and they need not decrease, so
  // that head is summed in full: stopping early there would lose mass (α = 50.5, q = 0.5, σ = 100
  // lost all of it to Opacus' test below).
  const double log_q = std::log(q), log_1mq = std::log1p(-q);
  const double s2 = sigma * sigma;
  // log(1/q − 1); 1/q overflows for q below 2^-1024.
  const double log_odds = 1 / q <= kMax ? std::log(1 / q - 1) : log_1mq - log_q;
  const double z0 = scaled_by_s2(log_odds, sigma, s2) + 0.5;
  const double sqrt2_sigma = std::sqrt(2.0) * sigma;
  // (d − z0) / (√2 σ) for the erfc arguments; z0 is ±∞ where σ² log(1/q − 1) is beyond doubles
  // (the argument then is too), and √2 σ overflows for σ > DBL_MAX / √2.
  auto erfc_arg = [&](double d) {
    if (std::isinf(d)) return d;
    return std::isinf(sqrt2_sigma) ? d / sigma / std::sqrt(2.0) : d / sqrt2_sigma;
  };
  const double i0 = std::floor(alpha) + 1;
  if (i0 > kMaxSeriesTerms) return kInf;  // the head alone would take too long: no bound

  double log_abs_coef = 0;  // log|C(α, i)|, starting at C(α, 0) = 1
  bool coef_positive = true;
  // log of the magnitudes of term i of both series.
  auto terms = [&](double di) {
    const double j = alpha - di;
    const double log_t0 = log_abs_coef + di * log_q + j * log_1mq;
    const double log_t1 = log_abs_coef + j * log_q + di * log_1mq;
    const double log_e0 = std::log(0.5) + log_erfc(erfc_arg(di - z0));
    const double log_e1 = std::log(0.5) + log_erfc(erfc_arg(z0 - j));
    const double x0 = over_two_s2(di * di - di, sigma, s2);
    const double x1 = over_two_s2(j * j - j, sigma, s2);
    // e^{+∞} · erfc(+∞): both overflow only where σ² is below ≈ 1e-300, and there the term is
    // C(α, i) · K · erfcx(w_i) with erfcx(w_i) ≤ 1 and K ≤ e^{373 − 1/(8σ²)}: zero.
    const double log_s0 = x0 == kInf && log_e0 == -kInf ? -kInf : log_t0 + x0 + log_e0;
    const double log_s1 = x1 == kInf && log_e1 == -kInf ? -kInf : log_t1 + x1 + log_e1;
    return std::make_pair(log_s0, log_s1);
  };
  // C(α, i+1) = C(α, i) · (α − i) / (i + 1); false once the coefficients are 0 (integer α).
  auto next_coef = [&](double di) {
    const double factor = alpha - di;
    if (factor == 0) return false;
    log_abs_coef += std::log(std::fabs(factor)) - std::log(di + 1);
    if (factor < 0) coef_positive = !coef_positive;
    return true;
  };

  double log_a0 = -kInf, log_a1 = -kInf;
  for (int64_t i = 0;; ++i) {
    const double di = static_cast<double>(i);
    const auto [log_s0, log_s1] = terms(di);
    // The first +∞ term has i ≤ i0 (past i0 the terms shrink), so a positive coefficient:
    // A_α = +∞. NaN cannot arise past the guards above; if it did, no number would be safe.
    if (std::isnan(log_s0) || std::isnan(log_s1) || log_s0 == kInf || log_s1 == kInf) return kInf;
    if (coef_positive) {
      log_a0 = log_add(log_a0, log_s0);
      log_a1 = log_add(log_a1, log_s1);
    } else {
      log_a0 = log_sub(log_a0, log_s0);
      log_a1 = log_sub(log_a1, log_s1);
    }
    // Opacus' stop test, in the tail only, where the rest is smaller than these terms.
    if (di >= i0 && std::max(log_s0, log_s1) < -30) break;
    if (!next_coef(di)) break;
    if (di >= i0 + kPlainTailTerms) {
      // The tail decays like i^(−α−1) at worst (q ≈ 1/2, large σ: 10^5 terms and more for
      // α = 1.1): sum the rest by convergence acceleration instead.
      std::array<double, kAcceleratedTerms> log_mag;
      const bool rest_positive = coef_positive;
      for (int k = 0; k < kAcceleratedTerms; ++k) {
        const double dk = di + 1 + k;
        const auto [m0, m1] = terms(dk);
        if (std::isnan(m0) || std::isnan(m1) || m0 == kInf || m1 == kInf) return kInf;
        log_mag[k] = log_add(m0, m1);
        if (!next_coef(dk)) return kInf;  // unreachable: α is not an integer here
      }
      const double log_rest = log_alternating_sum(log_mag);
      const double log_a = log_add(log_a0, log_a1);
      return rest_positive ? log_add(log_a, log_rest) : log_sub(log_a, log_rest);
    }
  }
  return log_add(log_a0, log_a1);
}

}  // namespace detail

const std::vector<double>& default_orders() {
  static const std::vector<double> orders = [] {
    std::vector<double> v;
    for (int x = 1; x < 100; ++x) v.push_back(1 + x / 10.0);
    for (int a = 12; a < 64; ++a) v.push_back(a);
    return v;
  }();
  return orders;
}

double rdp_sampled_gaussian(double q, double sigma, double order) {
  check_q_sigma(q, sigma);
  if (!(order > 1)) invalid("RDP order", "> 1", show(order));
  if (q == 0) return 0;
  if (sigma == 0) return kInf;
  if (q == 1) return over_two_s2(order, sigma, sigma * sigma);
  if (std::isinf(order)) return kInf;
  // Both ways take about α terms; above 1e6 the series answers +∞ without summing, and the
  // bound below then gives α/(2σ²).
  double log_a;
  if (order == std::floor(order) && order <= kMaxSeriesTerms) {
    log_a = detail::log_a_integer(q, sigma, static_cast<int64_t>(order));
  } else {
    log_a = detail::log_a_fractional(q, sigma, order);
  }
  // A_α ≥ 1, so a NaN or log A_α = −∞ is a failed sum, never a small divergence: +∞, bounded
  // next.
  if (std::isnan(log_a) || log_a == -kInf) return kInf;
  // RDP is ≥ 0; the series can land a rounding error below 0 when A_α − 1 is below 1e-16. It is
  // also ≤ α/(2σ²), the full batch's (Rényi divergence is jointly quasi-convex, van Erven &
  // Harremoës 2014, Theorem 13), which trims the series' rounding noise where σ is so large
  // that the noise exceeds the true RDP.
  return std::min(std::max(0.0, log_a / (order - 1)), over_two_s2(order, sigma, sigma * sigma));
}

std::vector<double> compute_rdp(double q, double sigma, double steps,
                                const std::vector<double>& orders) {
  if (!(steps >= 0) || std::isinf(steps)) invalid("steps", ">= 0 and finite", show(steps));
  std::vector<double> rdp;
  rdp.reserve(orders.size());
  for (double a : orders) {
    const double r = rdp_sampled_gaussian(q, sigma, a);
    rdp.push_back(steps == 0 ? 0.0 : r * steps);
  }
  return rdp;
}

PrivacySpent rdp_to_epsilon(const std::vector<double>& orders, const std::vector<double>& rdp,
                            double delta) {
  const double log_delta = std::log(delta);
  return convert(orders, rdp, delta, [log_delta](double a, double r) {
    return r - (log_delta + std::log(a)) / (a - 1) + std::log((a - 1) / a);
  });
}

PrivacySpent rdp_to_epsilon_classic(const std::vector<double>& orders,
                                    const std::vector<double>& rdp, double delta) {
  const double log_delta = std::log(delta);
  return convert(orders, rdp, delta,
                 [log_delta](double a, double r) { return r - log_delta / (a - 1); });
}

PrivacySpent dp_sgd_epsilon(double q, double sigma, int64_t steps, double delta,
                            const std::vector<double>& orders) {
  if (steps < 0) invalid("steps", ">= 0", std::to_string(steps));
  check_delta(delta);
  check_orders(orders);
  check_q_sigma(q, sigma);
  // Nothing depends on the data: ε = 0 exactly (the bound's limit for α → ∞; a finite grid of
  // orders would report its floor, ≈ 0.1 for δ = 1e-5, as Opacus does).
  if (q == 0 || steps == 0) return {0.0, kNaN};
  return rdp_to_epsilon(orders, compute_rdp(q, sigma, static_cast<double>(steps), orders), delta);
}

NoiseSolution solve_noise_multiplier(double target_epsilon, double delta, double q, int64_t steps,
                                     double tolerance, const std::vector<double>& orders) {
  if (!(target_epsilon > 0) || std::isinf(target_epsilon)) {
    invalid("target epsilon", "> 0 and finite", show(target_epsilon));
  }
  if (!(tolerance > 0) || std::isinf(tolerance)) {
    invalid("epsilon tolerance", "> 0 and finite", show(tolerance));
  }
  check_delta(delta);
  check_orders(orders);
  if (!(q >= 0 && q <= 1)) invalid("sample rate q", "in [0, 1]", show(q));
  if (steps < 0) invalid("steps", ">= 0", std::to_string(steps));
  if (q == 0 || steps == 0) {
    throw ConfigError("nothing to solve: with " +
                      std::string(q == 0 ? "sample rate 0" : "0 steps") +
                      " every noise multiplier spends epsilon 0");
  }
  auto eps_at = [&](double sigma) { return dp_sgd_epsilon(q, sigma, steps, delta, orders); };

  // Opacus get_noise_multiplier, step for step.
  double sigma_low = 0, sigma_high = 10;
  PrivacySpent high{kInf, kNaN};
  while (high.epsilon > target_epsilon) {
    sigma_high *= 2;
    high = eps_at(sigma_high);
    if (sigma_high > kMaxNoiseMultiplier) {
      char spent[32];
      std::snprintf(spent, sizeof spent, "%.4g", high.epsilon);
      throw ConfigError("target epsilon " + show(target_epsilon) + " is unreachable for delta " +
                        show(delta) + ": even noise multiplier " + show(sigma_high) +
                        " spends epsilon " + spent + " (the floor of the RDP conversion)");
    }
  }
  // ε(σ) is continuous and decreasing from +∞, so bisection converges; the iteration cap only
  // guards against a tolerance below what doubles can resolve.
  for (int it = 0; it < 200 && target_epsilon - high.epsilon > tolerance; ++it) {
    const double sigma = (sigma_low + sigma_high) / 2;
    const PrivacySpent mid = eps_at(sigma);
    if (mid.epsilon < target_epsilon) {
      sigma_high = sigma;
      high = mid;
    } else {
      sigma_low = sigma;
    }
  }
  return {sigma_high, high.epsilon, high.order};
}

RdpAccountant::RdpAccountant(std::vector<double> orders) : orders_(std::move(orders)) {
  check_orders(orders_);
  rdp_.assign(orders_.size(), 0.0);
}

void RdpAccountant::add_steps(double q, double sigma, int64_t steps) {
  check_q_sigma(q, sigma);
  if (steps < 0) invalid("steps", ">= 0", std::to_string(steps));
  if (steps == 0) return;
  if (q != cached_q_ || sigma != cached_sigma_) {
    cached_step_rdp_ = compute_rdp(q, sigma, 1.0, orders_);
    cached_q_ = q;
    cached_sigma_ = sigma;
  }
  const double n = static_cast<double>(steps);
  for (size_t i = 0; i < orders_.size(); ++i) {
    // 0 × ∞ would be NaN; a step with zero RDP adds nothing.
    if (cached_step_rdp_[i] != 0) rdp_[i] += cached_step_rdp_[i] * n;
  }
  if (!history_.empty() && history_.back().q == q && history_.back().sigma == sigma) {
    history_.back().steps += steps;
  } else {
    history_.push_back({q, sigma, steps});
  }
  total_steps_ += steps;
  if (q > 0) any_loss_ = true;
}

PrivacySpent RdpAccountant::spent(double delta) const {
  check_delta(delta);
  if (!any_loss_) return {0.0, kNaN};  // no step touched the data (see dp_sgd_epsilon)
  return rdp_to_epsilon(orders_, rdp_, delta);
}

nlohmann::json RdpAccountant::to_json() const {
  nlohmann::json history = nlohmann::json::array();
  for (const Entry& e : history_) {
    history.push_back({{"sample_rate", e.q}, {"noise_multiplier", e.sigma}, {"steps", e.steps}});
  }
  return {{"orders", orders_}, {"history", history}};
}

RdpAccountant RdpAccountant::from_json(const nlohmann::json& j) {
  auto number = [](const nlohmann::json& v, const std::string& path) {
    if (!v.is_number()) throw ConfigError(path + ": expected a number");
    return v.get<double>();
  };
  if (!j.is_object()) throw ConfigError("accountant: expected an object");
  if (!j.contains("orders") || !j["orders"].is_array()) {
    throw ConfigError("accountant.orders: expected an array of numbers");
  }
  std::vector<double> orders;
  for (size_t i = 0; i < j["orders"].size(); ++i) {
    orders.push_back(number(j["orders"][i], "accountant.orders[" + std::to_string(i) + "]"));
  }
  RdpAccountant acc(std::move(orders));
  if (!j.contains("history") || !j["history"].is_array()) {
    throw ConfigError("accountant.history: expected an array");
  }
  for (size_t i = 0; i < j["history"].size(); ++i) {
    const auto& e = j["history"][i];
    const std::string path = "accountant.history[" + std::to_string(i) + "]";
    if (!e.is_object() || !e.contains("sample_rate") || !e.contains("noise_multiplier") ||
        !e.contains("steps")) {
      throw ConfigError(path + ": expected {\"sample_rate\", \"noise_multiplier\", \"steps\"}");
    }
    if (!e["steps"].is_number_integer()) throw ConfigError(path + ".steps: expected an integer");
    acc.add_steps(number(e["sample_rate"], path + ".sample_rate"),
                  number(e["noise_multiplier"], path + ".noise_multiplier"),
                  e["steps"].get<int64_t>());
  }
  return acc;
}

}  // namespace fm::privacy
