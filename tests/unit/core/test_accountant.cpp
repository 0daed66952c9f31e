// RDP accountant: closed forms, hand-derived values, published figures, composition, monotonicity,
// the noise-multiplier solver, and input validation. The Python test
// tests/python/test_privacy_reference.py checks the same numbers against numerical integration.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "fm/error.h"
#include "fm/privacy/accountant.h"
#include "fm/privacy/analysis.h"

namespace fm::privacy {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

// Bounds on the per-step RDP that owe nothing to the series or the closed form:
// A_α = E_{z∼N(0,σ²)}[(1 − q + q e^{(2z−1)/(2σ²)})^α] ≥ q^α E[e^{α(2z−1)/(2σ²)}]
//     = q^α e^{α(α−1)/(2σ²)}, so RDP ≥ α/(2σ²) + α log q / (α − 1); and RDP ≤ α/(2σ²), the full
// batch's (Rényi divergence is jointly quasi-convex). α/(2σ²) is formed so that it overflows to
// +∞ only where the true value does.
double gaussian_rdp(double sigma, double a) { return a / 2 / sigma / sigma; }
double rdp_lower_bound(double q, double sigma, double a) {
  return std::max(0.0, gaussian_rdp(sigma, a) + a * std::log(q) / (a - 1));
}

// σ from the smallest subnormal to the largest double: every third power of 10, denser where σ²
// leaves the normal doubles (≈ 1.5e-154, ≈ 1.3e154), around 1, and at the top.
std::vector<double> sigma_grid() {
  using limits = std::numeric_limits<double>;
  std::vector<double> s{limits::denorm_min(), limits::min(), 1e307, 1e308, 1.7e308, limits::max()};
  for (int e = -323; e <= 308; e += 3) s.push_back(std::pow(10.0, e));
  for (int t = -1560; t <= -1520; t += 2) s.push_back(std::pow(10.0, t / 10.0));
  for (int t = 1530; t <= 1550; t += 2) s.push_back(std::pow(10.0, t / 10.0));
  for (int t = -10; t <= 10; ++t) s.push_back(std::pow(10.0, t / 10.0));
  std::sort(s.begin(), s.end());
  s.erase(std::unique(s.begin(), s.end()), s.end());
  return s;
}

TEST(Accountant, DefaultOrdersAreOpacus) {
  const auto& o = default_orders();
  ASSERT_EQ(o.size(), 151u);  // 99 fractional + 12..63
  EXPECT_EQ(o.front(), 1.1);
  EXPECT_EQ(o[9], 2.0);
  EXPECT_EQ(o[98], 10.9);
  EXPECT_EQ(o[99], 12.0);
  EXPECT_EQ(o.back(), 63.0);
}

// q = 1 is the Gaussian mechanism: RDP α/(2σ²) at every order, and every step adds it again.
TEST(Accountant, FullBatchIsGaussianMechanism) {
  for (double sigma : {0.5, 1.0, 3.0}) {
    for (double a : default_orders()) {
      EXPECT_DOUBLE_EQ(rdp_sampled_gaussian(1.0, sigma, a), a / (2 * sigma * sigma));
    }
  }
  // Classic conversion, q = 1, σ = 1, T = 1, δ = e^-8: ε(α) = α/2 + 8/(α − 1) is minimised at
  // α = 1 + √16 = 5 (on the grid) with ε = 5/2 + 8/4 = 4.5.
  const double delta = std::exp(-8.0);
  auto rdp = compute_rdp(1.0, 1.0, 1, default_orders());
  PrivacySpent classic = rdp_to_epsilon_classic(default_orders(), rdp, delta);
  EXPECT_NEAR(classic.epsilon, 4.5, 1e-12);
  EXPECT_EQ(classic.order, 5.0);
  // Improved conversion: ε(α) = α/2 + (8 − log α)/(α − 1) + log((α − 1)/α); its derivative is
  // 1/2 − (8 − log α)/(α − 1)² (the 1/α terms cancel), zero at α ≈ 4.598, so the grid's best is
  // α = 4.6: 2.3 + (8 − log 4.6)/3.6 + log(3.6/4.6) = 3.8531952354406…
  PrivacySpent improved = rdp_to_epsilon(default_orders(), rdp, delta);
  EXPECT_NEAR(improved.epsilon, 3.8531952354406123, 1e-12);
  EXPECT_EQ(improved.order, 4.6);
}

TEST(Accountant, ZeroSampleRateSpendsNothing) {
  for (double a : default_orders()) EXPECT_EQ(rdp_sampled_gaussian(0.0, 1.0, a), 0.0);
  EXPECT_EQ(rdp_sampled_gaussian(0.0, 0.0, 2.0), 0.0);  // q = 0 wins over σ = 0, as in Opacus
  PrivacySpent s = dp_sgd_epsilon(0.0, 1.0, 1000, 1e-5);
  EXPECT_EQ(s.epsilon, 0.0);
  EXPECT_TRUE(std::isnan(s.order));
  EXPECT_EQ(dp_sgd_epsilon(0.01, 1.0, 0, 1e-5).epsilon, 0.0);
  RdpAccountant acc;
  acc.add_steps(0.0, 1.0, 50);
  EXPECT_EQ(acc.epsilon(1e-5), 0.0);
  // A bare all-zero RDP curve converts as in Opacus: the floor at the largest order, here
  // α = 63: (log 1e5 − log 63)/62 + log(62/63) = 0.10286725…
  std::vector<double> zeros(default_orders().size(), 0.0);
  PrivacySpent floor = rdp_to_epsilon(default_orders(), zeros, 1e-5);
  EXPECT_NEAR(floor.epsilon, (std::log(1e5) - std::log(63.0)) / 62 + std::log(62.0 / 63), 1e-14);
  EXPECT_EQ(floor.order, 63.0);
}

TEST(Accountant, NoNoiseIsNoPrivacy) {
  EXPECT_TRUE(std::isinf(rdp_sampled_gaussian(0.01, 0.0, 2.5)));
  PrivacySpent s = dp_sgd_epsilon(0.01, 0.0, 10, 1e-5);
  EXPECT_TRUE(std::isinf(s.epsilon));
  EXPECT_TRUE(std::isnan(s.order));
}

// Order 2 by hand: A_2 = (1−q)² + 2q(1−q) + q² e^{1/σ²} = 1 + q²(e^{1/σ²} − 1).
TEST(Accountant, OrderTwoByHand) {
  EXPECT_NEAR(rdp_sampled_gaussian(0.01, 1.0, 2.0), 0.00017181342207454794, 1e-18);
  for (double q : {1e-6, 0.001, 0.3, 0.9}) {
    for (double sigma : {0.5, 1.0, 4.0}) {
      const double want = std::log1p(q * q * std::expm1(1 / (sigma * sigma)));
      EXPECT_NEAR(rdp_sampled_gaussian(q, sigma, 2.0), want, 1e-12 * want) << q << " " << sigma;
    }
  }
}

// Order 3 by hand: A_3 = (1−q)³ + 3q(1−q)² + 3q²(1−q)e^{1/σ²} + q³e^{3/σ²}; q = 0.1, σ = 0.7.
TEST(Accountant, OrderThreeByHand) {
  EXPECT_NEAR(rdp_sampled_gaussian(0.1, 0.7, 3.0), 0.2460647798966002, 1e-14);
}

// The erfc series for fractional orders terminates at integer orders and must then equal the
// binomial closed form: two different formulas for the same A_α.
TEST(Accountant, SeriesAgreesWithClosedFormAtIntegers) {
  for (double q : {0.001, 0.01, 0.1, 0.5}) {
    for (double sigma : {0.7, 1.0, 2.0, 4.0}) {
      for (int a = 2; a <= 40; a += 3) {
        const double closed = detail::log_a_integer(q, sigma, a);
        const double series = detail::log_a_fractional(q, sigma, a);
        EXPECT_NEAR(series, closed, 1e-9 * std::fabs(closed) + 1e-15)
            << "q=" << q << " sigma=" << sigma << " alpha=" << a;
      }
    }
  }
}

// Approaching an integer order from either side, the fractional path meets the integer one.
TEST(Accountant, ContinuousAcrossIntegerOrders) {
  for (double a : {2.0, 5.0, 12.0}) {
    const double at = rdp_sampled_gaussian(0.01, 1.1, a);
    EXPECT_NEAR(rdp_sampled_gaussian(0.01, 1.1, a - 1e-7), at, 1e-5 * at);
    EXPECT_NEAR(rdp_sampled_gaussian(0.01, 1.1, a + 1e-7), at, 1e-5 * at);
  }
}

TEST(Accountant, CompositionIsLinearInSteps) {
  const auto& o = default_orders();
  auto one = compute_rdp(0.02, 1.3, 1, o);
  auto many = compute_rdp(0.02, 1.3, 1234, o);
  for (size_t i = 0; i < o.size(); ++i) EXPECT_NEAR(many[i], 1234 * one[i], 1e-12 * many[i]);

  RdpAccountant split, whole, mixed;
  split.add_steps(0.02, 1.3, 1000);
  split.add_steps(0.02, 1.3, 234);
  whole.add_steps(0.02, 1.3, 1234);
  EXPECT_EQ(split.history().size(), 1u);  // merged
  EXPECT_EQ(split.steps(), 1234);
  for (size_t i = 0; i < o.size(); ++i) {
    EXPECT_NEAR(split.rdp()[i], whole.rdp()[i], 1e-14 * whole.rdp()[i]);
  }
  EXPECT_NEAR(split.epsilon(1e-5), whole.epsilon(1e-5), 1e-12);

  // Changing q and σ: the RDP adds up per order.
  mixed.add_steps(0.02, 1.3, 100);
  mixed.add_steps(0.05, 0.9, 50);
  mixed.add_steps(0.02, 1.3, 10);
  EXPECT_EQ(mixed.history().size(), 3u);
  auto a = compute_rdp(0.02, 1.3, 110, o), b = compute_rdp(0.05, 0.9, 50, o);
  for (size_t i = 0; i < o.size(); ++i) {
    EXPECT_NEAR(mixed.rdp()[i], a[i] + b[i], 1e-12 * mixed.rdp()[i]);
  }
  EXPECT_DOUBLE_EQ(mixed.epsilon(1e-5), rdp_to_epsilon(o, mixed.rdp(), 1e-5).epsilon);
}

TEST(Accountant, EmptyAccountantSpentNothing) {
  RdpAccountant acc;
  EXPECT_EQ(acc.epsilon(1e-5), 0.0);
  acc.add_steps(0.1, 1.0, 0);
  EXPECT_EQ(acc.epsilon(1e-5), 0.0);
  EXPECT_TRUE(acc.history().empty());
}

TEST(Accountant, MonotonicInSigmaSampleRateStepsAndOrder) {
  double prev = std::numeric_limits<double>::infinity();
  for (double sigma : {0.5, 0.7, 1.0, 1.5, 2.0, 4.0, 8.0}) {
    const double eps = dp_sgd_epsilon(0.01, sigma, 1000, 1e-5).epsilon;
    EXPECT_LT(eps, prev) << sigma;
    prev = eps;
  }
  prev = 0;
  for (double q : {0.0001, 0.001, 0.01, 0.1, 0.5, 1.0}) {
    const double eps = dp_sgd_epsilon(q, 1.0, 100, 1e-5).epsilon;
    EXPECT_GT(eps, prev) << q;
    prev = eps;
  }
  prev = 0;
  for (int64_t steps : {1, 10, 100, 1000, 10000}) {
    const double eps = dp_sgd_epsilon(0.01, 1.0, steps, 1e-5).epsilon;
    EXPECT_GT(eps, prev) << steps;
    prev = eps;
  }
  // Smaller δ costs more ε.
  EXPECT_GT(dp_sgd_epsilon(0.01, 1.0, 1000, 1e-8).epsilon,
            dp_sgd_epsilon(0.01, 1.0, 1000, 1e-5).epsilon);
  // RDP is non-decreasing in the order.
  prev = 0;
  for (double a : default_orders()) {
    const double r = rdp_sampled_gaussian(0.01, 1.0, a);
    EXPECT_GE(r, prev) << a;
    prev = r;
  }
}

// Opacus' documentation of compute_dp_sgd_privacy: sample rate 1%, σ = 1.0, 3 epochs = 300 steps,
// orders {2, 5, 10, 20, 100}, δ = 1e-5 → "epsilon = 2.39 … The optimal alpha is 5.0".
TEST(Accountant, OpacusDocumentedExample) {
  const std::vector<double> orders{2, 5, 10, 20, 100};
  PrivacySpent s = dp_sgd_epsilon(0.01, 1.0, 300, 1e-5, orders);
  EXPECT_NEAR(s.epsilon, 2.39, 0.005);
  EXPECT_EQ(s.order, 5.0);
}

// TF Privacy's MNIST tutorial table (classic conversion, default orders, N = 60000, B = 256,
// steps = ⌈epochs·N/B⌉, δ = 1e-5): σ = 1.1 for 60 epochs → ε = 3.01; σ = 0.7 for 45 → 7.10.
TEST(Accountant, TfPrivacyMnistTable) {
  const double q = 256.0 / 60000;
  auto classic = [&](double sigma, int64_t steps) {
    return rdp_to_epsilon_classic(
        default_orders(), compute_rdp(q, sigma, static_cast<double>(steps), default_orders()),
        1e-5);
  };
  EXPECT_NEAR(classic(1.1, 14063).epsilon, 3.01, 0.005);
  EXPECT_NEAR(classic(0.7, 10547).epsilon, 7.10, 0.005);
  // The improved conversion is tighter for the same RDP curve.
  EXPECT_LT(dp_sgd_epsilon(q, 1.1, 14063, 1e-5).epsilon, classic(1.1, 14063).epsilon - 0.3);
}

TEST(Accountant, LargeOrdersAndTinyRatesStayFinite) {
  const double big = rdp_sampled_gaussian(0.5, 0.3, 63);
  EXPECT_TRUE(std::isfinite(big));
  EXPECT_GT(big, 100);  // e^{(63² − 63)/(2·0.09)} would overflow outside log space
  // q = 1e-9, order 2: log(1 + q²(e − 1)) ≈ 1.718e-18, far below the rounding error of 1 + x.
  EXPECT_NEAR(rdp_sampled_gaussian(1e-9, 1.0, 2.0), 1e-18 * std::expm1(1.0), 1e-30);
  const double tiny = rdp_sampled_gaussian(1e-9, 1.0, 1.5);
  EXPECT_GE(tiny, 0);
  EXPECT_LT(tiny, 1e-15);
  // Small q: RDP ≈ q² α (e^{1/σ²} − 1) / 2 to leading order.
  const double q = 1e-6, a = 3.5;
  EXPECT_NEAR(rdp_sampled_gaussian(q, 1.0, a), q * q * a * std::expm1(1.0) / 2, 1e-3 * q * q);
  EXPECT_TRUE(std::isfinite(dp_sgd_epsilon(0.001, 1.0, 1'000'000'000, 1e-5).epsilon));
}

TEST(Accountant, LogErfcAcrossTheSwitch) {
  for (double x : {20.0, 22.0, 25.0, 26.0}) {
    EXPECT_NEAR(detail::log_erfc(x + 1e-9), std::log(std::erfc(x)), 1e-7) << x;
  }
  // Far beyond erfc's underflow: log erfc(x) ≈ −x² − log(x√π).
  EXPECT_NEAR(detail::log_erfc(1000.0), -1e6 - std::log(1000.0 * std::sqrt(std::acos(-1.0))), 1e-6);
  EXPECT_NEAR(detail::log_erfc(-5.0), std::log(2.0), 1e-11);
}

TEST(Accountant, SolverRoundTrip) {
  for (double target : {0.5, 1.0, 3.0, 8.0}) {
    NoiseSolution s = solve_noise_multiplier(target, 1e-5, 0.01, 2000);
    const double eps = dp_sgd_epsilon(0.01, s.noise_multiplier, 2000, 1e-5).epsilon;
    EXPECT_DOUBLE_EQ(eps, s.epsilon);
    EXPECT_LE(eps, target);
    EXPECT_GT(eps, target - 0.01);
    // Less noise would overspend.
    EXPECT_GT(dp_sgd_epsilon(0.01, s.noise_multiplier * 0.99, 2000, 1e-5).epsilon, eps);
  }
  NoiseSolution fine = solve_noise_multiplier(2.0, 1e-6, 0.004, 10000, 1e-6);
  EXPECT_NEAR(fine.epsilon, 2.0, 1e-6);
  EXPECT_LE(fine.epsilon, 2.0);
}

TEST(Accountant, SolverRefusesImpossibleTargets) {
  // With orders up to 63, ε never drops below the conversion's floor (≈ 0.10 for δ = 1e-5).
  EXPECT_THROW(solve_noise_multiplier(0.05, 1e-5, 0.01, 100), ConfigError);
  EXPECT_THROW(solve_noise_multiplier(1.0, 1e-5, 0.0, 100), ConfigError);
  EXPECT_THROW(solve_noise_multiplier(1.0, 1e-5, 0.01, 0), ConfigError);
  EXPECT_THROW(solve_noise_multiplier(-1.0, 1e-5, 0.01, 10), ConfigError);
  EXPECT_THROW(solve_noise_multiplier(1.0, 1e-5, 0.01, 10, 0.0), ConfigError);
}

TEST(Accountant, ValidatesInputs) {
  EXPECT_THROW(rdp_sampled_gaussian(1.5, 1.0, 2.0), ConfigError);
  EXPECT_THROW(rdp_sampled_gaussian(-0.1, 1.0, 2.0), ConfigError);
  EXPECT_THROW(rdp_sampled_gaussian(kNaN, 1.0, 2.0), ConfigError);
  EXPECT_THROW(rdp_sampled_gaussian(0.1, -1.0, 2.0), ConfigError);
  EXPECT_THROW(rdp_sampled_gaussian(0.1, 1.0, 1.0), ConfigError);
  EXPECT_THROW(dp_sgd_epsilon(0.1, 1.0, 10, 0.0), ConfigError);
  EXPECT_THROW(dp_sgd_epsilon(0.1, 1.0, 10, 1.0), ConfigError);
  EXPECT_THROW(dp_sgd_epsilon(0.1, 1.0, -1, 1e-5), ConfigError);
  EXPECT_THROW(rdp_to_epsilon({2.0, 3.0}, {0.1}, 1e-5), ConfigError);
  EXPECT_THROW(RdpAccountant({0.5}), ConfigError);
  RdpAccountant acc;
  EXPECT_THROW(acc.add_steps(0.1, -2.0, 5), ConfigError);
  EXPECT_THROW(acc.add_steps(0.1, 1.0, -5), ConfigError);
  EXPECT_THROW(acc.epsilon(2.0), ConfigError);
}

TEST(Accountant, JsonRoundTrip) {
  RdpAccountant acc;
  acc.add_steps(0.01, 1.1, 500);
  acc.add_steps(0.02, 0.9, 30);
  RdpAccountant back = RdpAccountant::from_json(acc.to_json());
  EXPECT_EQ(back.steps(), 530);
  EXPECT_EQ(back.history().size(), 2u);
  EXPECT_DOUBLE_EQ(back.epsilon(1e-5), acc.epsilon(1e-5));
  EXPECT_THROW(RdpAccountant::from_json(nlohmann::json::array()), ConfigError);
  nlohmann::json bad = acc.to_json();
  bad["history"][1]["steps"] = 2.5;
  EXPECT_THROW(RdpAccountant::from_json(bad), ConfigError);
}

// Steps from epochs: ⌈E·N/B⌉ (TF Privacy), ⌈E/q⌉, without rounding noise (3 / 0.1 is
// 30.000000000000004 in doubles).
TEST(Accountant, StepsForEpochs) {
  EXPECT_EQ(steps_for_epochs(60, 256.0 / 60000, 60000, 256), 14063);  // 14062.5 → 14063
  EXPECT_EQ(steps_for_epochs(3, 0.1), 30);
  EXPECT_EQ(steps_for_epochs(1, 0.3), 4);  // 3.33… → 4
  EXPECT_EQ(steps_for_epochs(0, 0.3), 0);
  EXPECT_EQ(steps_for_epochs(2.5, 0.01), 250);
  EXPECT_THROW(steps_for_epochs(1e9, 1e-9), ConfigError);
}

TEST(Accountant, AnalysisValidatesTheQuery) {
  DpSgdQuery q;
  q.sample_rate = 0.01;
  q.steps = 100;
  q.noise_multiplier = 1.0;
  EXPECT_THROW(analyze_dp_sgd(q), ConfigError);  // no delta
  q.delta = 1e-5;
  DpSgdAnalysis a = analyze_dp_sgd(q);
  EXPECT_DOUBLE_EQ(a.spent.epsilon, dp_sgd_epsilon(0.01, 1.0, 100, 1e-5).epsilon);
  q.target_epsilon = 2.0;
  EXPECT_THROW(analyze_dp_sgd(q), ConfigError);  // both σ and a target
  q.noise_multiplier.reset();
  a = analyze_dp_sgd(q);
  EXPECT_TRUE(a.solved);
  EXPECT_LE(a.spent.epsilon, 2.0);
  EXPECT_GT(a.spent.epsilon, 1.99);
  q.dataset_size = 1000;  // with --sample-rate as well
  EXPECT_THROW(analyze_dp_sgd(q), ConfigError);
}

// Issue 13: σ² underflowed for σ below ≈ 1e-154 and the fractional-order series summed NaNs for
// 10 M terms into RDP 0, so ε was the conversion's floor (0.2147 for σ = 1e-300, where σ = 1
// gives 1.035). Over every double σ, ε must be a number or +∞, never rise as σ grows, and lie
// between the bounds above; for tiny σ the lower bound is +∞.
TEST(Accountant, EpsilonNonIncreasingInSigmaOverAllDoubles) {
  const auto& orders = default_orders();
  const auto sigmas = sigma_grid();
  ASSERT_GT(sigmas.size(), 250u);
  const double delta = 1e-5;
  const std::vector<int64_t> step_counts{1, 1000};
  auto slack = [](double eps) { return std::isfinite(eps) ? 1e-12 * std::fabs(eps) : 0.0; };
  for (double q : {0.01, 0.5, 0.99, 1.0}) {
    std::vector<double> prev(step_counts.size(), kInf);
    double prev_sigma = 0;
    for (double sigma : sigmas) {
      // dp_sgd_epsilon's own steps: the per-step curve times the steps, converted (once per σ
      // here, for both step counts).
      const auto step_rdp = compute_rdp(q, sigma, 1, orders);
      for (size_t k = 0; k < step_counts.size(); ++k) {
        const double steps = static_cast<double>(step_counts[k]);
        std::vector<double> rdp, low, high;
        for (size_t i = 0; i < orders.size(); ++i) {
          rdp.push_back(step_rdp[i] * steps);
          low.push_back(rdp_lower_bound(q, sigma, orders[i]) * steps);
          high.push_back(gaussian_rdp(sigma, orders[i]) * steps);
        }
        const double eps = rdp_to_epsilon(orders, rdp, delta).epsilon;
        const double eps_low = rdp_to_epsilon(orders, low, delta).epsilon;
        const double eps_high = rdp_to_epsilon(orders, high, delta).epsilon;
        const std::string at = "q=" + std::to_string(q) +
                               " steps=" + std::to_string(step_counts[k]) + " sigma=1e" +
                               std::to_string(std::log10(sigma));
        ASSERT_FALSE(std::isnan(eps)) << at;
        EXPECT_LE(eps, prev[k] + slack(prev[k])) << at << " after sigma " << prev_sigma;
        EXPECT_GE(eps, eps_low - slack(eps_low)) << at;
        EXPECT_LE(eps, eps_high + slack(eps_high)) << at;
        if (sigma <= 1e-155) EXPECT_EQ(eps, kInf) << at;
        if (sigma >= 1) EXPECT_TRUE(std::isfinite(eps)) << at;
        prev[k] = eps;
      }
      prev_sigma = sigma;
    }
  }
  // The case through the public entry point.
  EXPECT_EQ(dp_sgd_epsilon(0.01, 1e-300, 1000, 1e-5).epsilon, kInf);
}

// Below σ ≈ 1e-154 α/(2σ²) is beyond doubles at every order, so the RDP is +∞, at integer orders
// (closed form) and fractional ones (series) alike; never 0. Just above, it is finite and pinned
// between the bounds, whose gap (α |log q| / (α − 1)) is nothing next to α/(2σ²).
TEST(Accountant, TinyNoiseGivesInfiniteRdpNeverZero) {
  const double orders[] = {1.1, 1.5, 2.0, 2.5, 3.0, 10.9, 12.0, 50.5, 63.0, 1000.5};
  for (double q : {1e-300, 0.01, 0.5, 0.99}) {
    for (double sigma :
         {std::numeric_limits<double>::denorm_min(), 1e-320, 1e-300, 1e-200, 1e-160, 1e-155}) {
      for (double a : orders) {
        EXPECT_EQ(rdp_sampled_gaussian(q, sigma, a), kInf) << q << " " << sigma << " " << a;
      }
      EXPECT_EQ(dp_sgd_epsilon(q, sigma, 1, 1e-5).epsilon, kInf) << q << " " << sigma;
    }
    for (double sigma : {1e-150, 1e-100, 1e-20}) {
      for (double a : orders) {
        const double r = rdp_sampled_gaussian(q, sigma, a);
        EXPECT_GE(r, rdp_lower_bound(q, sigma, a) * (1 - 1e-12)) << q << " " << sigma << " " << a;
        EXPECT_LE(r, gaussian_rdp(sigma, a) * (1 + 1e-12)) << q << " " << sigma << " " << a;
      }
    }
  }
  EXPECT_EQ(rdp_sampled_gaussian(1.0, 1e-300, 2.5), kInf);
}

// The other end: σ² overflows above ≈ 1.3e154 and z0 = σ² log(1/q − 1) + 1/2 was ∞ · 0 = NaN at
// q = 1/2; RDP is 0 to double precision there, and ε the conversion's floor at α = 63.
TEST(Accountant, HugeNoiseGivesTheConversionFloor) {
  const double floor = (std::log(1e5) - std::log(63.0)) / 62 + std::log(62.0 / 63);
  for (double q : {1e-300, 0.01, 0.5, 0.99}) {
    for (double sigma : {1e155, 1e200, 1e300, std::numeric_limits<double>::max()}) {
      for (double a : {1.1, 1.5, 2.0, 10.9, 63.0}) {
        const double r = rdp_sampled_gaussian(q, sigma, a);
        EXPECT_GE(r, 0) << q << " " << sigma << " " << a;
        EXPECT_LE(r, 1e-300) << q << " " << sigma << " " << a;
      }
      const PrivacySpent s = dp_sgd_epsilon(q, sigma, 1000, 1e-5);
      EXPECT_NEAR(s.epsilon, floor, 1e-14) << q << " " << sigma;
      EXPECT_EQ(s.order, 63.0);
    }
  }
}

// RDP is non-decreasing in the order (Rényi divergence is) and (α − 1)·RDP = log A_α is convex in
// α (a cumulant generating function), so each fractional order lies between its integer
// neighbours (closed form) and under their chord. Opacus' stop test (both terms below e^-30) once
// fired at the first term for α = 50.5, q = 1/2, σ = 100, whose terms start near e^-35: RDP 0,
// far below RDP(50). q = 1/2 with large σ is also where the tail is summed by acceleration.
TEST(Accountant, FractionalOrdersLieBetweenIntegerNeighbours) {
  for (double q : {0.001, 0.01, 0.1, 0.5, 0.9, 0.99}) {
    for (double sigma : {0.3, 0.7, 1.0, 2.0, 4.0, 10.0, 100.0, 1e4}) {
      for (double a : {1.1, 1.5, 1.9, 2.5, 5.3, 10.9, 20.5, 50.5}) {
        const double n = std::floor(a);
        const double r = rdp_sampled_gaussian(q, sigma, a);
        const double hi = rdp_sampled_gaussian(q, sigma, n + 1);
        const double lo = n >= 2 ? rdp_sampled_gaussian(q, sigma, n) : 0.0;
        const double chord = ((n + 1 - a) * (n - 1) * lo + (a - n) * n * hi) / (a - 1);
        const std::string at =
            std::to_string(q) + " " + std::to_string(sigma) + " " + std::to_string(a);
        const double tol = 1e-9 * hi + 1e-15;
        EXPECT_GE(r, lo - tol) << at;
        EXPECT_LE(r, hi + tol) << at;
        EXPECT_LE(r, chord + tol) << at;
        EXPECT_GT(r, 0) << at;
      }
    }
  }
  // Orders above 1e6 are not summed (that alone would take 1e6 terms): the full batch's bound.
  EXPECT_EQ(rdp_sampled_gaussian(0.01, 2.0, 2.5e6 + 0.5), (2.5e6 + 0.5) / 8);
  EXPECT_EQ(rdp_sampled_gaussian(0.01, 2.0, 4e6), 4e6 / 8);
}

}  // namespace
}  // namespace fm::privacy
