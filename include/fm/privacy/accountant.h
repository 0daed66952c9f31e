#pragma once
/// \file
/// Rényi-DP accountant for DP-SGD: RDP of the sampled Gaussian mechanism (Mironov, Talwar, Zhang
/// 2019, "Rényi Differential Privacy of the Sampled Gaussian Mechanism"), its conversion to
/// (ε, δ)-DP (Balle et al. 2020, "Hypothesis testing interpretations and Rényi differential
/// privacy", Theorem 21), and a solver for the noise multiplier that meets a target ε.
///
/// Semantics follow Opacus (`opacus/accountants/analysis/rdp.py`, `RDPAccountant`,
/// `get_noise_multiplier`) number for number; every quantity is computed in log space, so large
/// orders, tiny sampling rates and millions of steps neither overflow nor underflow. Over the whole
/// double range of σ the answer is never smaller than the true bound: where it exceeds doubles (σ
/// below ≈ 1e-154) or cannot be computed, RDP and ε are +∞, never NaN or a partial sum, and every
/// call finishes in a bounded number of terms.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace fm::privacy {

/// Opacus' default RDP orders: 1.1, 1.2, …, 10.9 (`1 + x / 10.0` for x = 1..99), then 12..63.
const std::vector<double>& default_orders();

/// RDP ε_α of one step of the sampled Gaussian mechanism: each example is in the batch with
/// probability `q` (Poisson sampling), the summed clipped gradients get N(0, σ²C²) noise. Equals
/// log(A_α) / (α − 1) with A_α = E_{z∼μ0}[(μ(z)/μ0(z))^α], μ0 = N(0, σ²), μ = (1−q)μ0 + q N(1, σ²):
/// the binomial closed form for integer α, the erfc series for fractional α (its alternating tail
/// summed by convergence acceleration once Opacus' term-by-term loop is slow).
/// Special cases: q = 0 → 0; σ = 0 → +∞; q = 1 → α / (2σ²) (the Gaussian mechanism), which also
/// bounds every q from above and is the answer for orders above 1e6 (not summed). +∞ where the
/// RDP exceeds the largest double (σ below ≈ 1e-154, every order). Throws ConfigError for
/// q ∉ [0, 1], σ < 0, α ≤ 1 or NaN arguments.
double rdp_sampled_gaussian(double q, double sigma, double order);

/// RDP after `steps` steps at every order: steps × rdp_sampled_gaussian(q, σ, α) (RDP composes
/// additively). Opacus `compute_rdp(q=, noise_multiplier=, steps=, orders=)`.
std::vector<double> compute_rdp(double q, double sigma, double steps,
                                const std::vector<double>& orders);

/// An (ε, δ) guarantee and the RDP order that gives it.
struct PrivacySpent {
  /// ε; +∞ when no order gives a finite bound (e.g. σ = 0); exactly 0 when no step touched the
  /// data (q = 0 or 0 steps: dp_sgd_epsilon and RdpAccountant only).
  double epsilon = 0;
  /// The minimising order α; NaN when ε is +∞ or exactly 0 (ε = 0 is the bound's limit α → ∞;
  /// Opacus reports the conversion's floor at its largest order instead, ≈ 0.1 for δ = 1e-5).
  double order = 0;
};

/// Converts an RDP curve to (ε, δ)-DP with the improved conversion of Balle et al. 2020 (Opacus
/// `get_privacy_spent`): ε = min_α [rdp_α − (log δ + log α)/(α − 1) + log((α − 1)/α)], NaN orders
/// ignored. Throws ConfigError when δ ∉ (0, 1), the sizes differ, the curve is empty or an order is
/// ≤ 1.
PrivacySpent rdp_to_epsilon(const std::vector<double>& orders, const std::vector<double>& rdp,
                            double delta);

/// The classic conversion of Mironov 2017 (Proposition 3): ε = min_α [rdp_α − log δ / (α − 1)].
/// Looser than rdp_to_epsilon; it is what older TF Privacy / Opacus releases printed. For
/// comparisons only.
PrivacySpent rdp_to_epsilon_classic(const std::vector<double>& orders,
                                    const std::vector<double>& rdp, double delta);

/// ε after `steps` steps at sampling rate `q` and noise multiplier `sigma` (default orders);
/// exactly 0 (order NaN) when q = 0 or steps = 0.
PrivacySpent dp_sgd_epsilon(double q, double sigma, int64_t steps, double delta,
                            const std::vector<double>& orders = default_orders());

/// Result of solve_noise_multiplier.
struct NoiseSolution {
  /// σ: the smallest noise multiplier found whose ε is ≤ the target.
  double noise_multiplier = 0;
  /// ε spent at that σ: target − tolerance < ε ≤ target.
  double epsilon = 0;
  /// The RDP order that gives ε.
  double order = 0;
};

/// Largest σ the solver tries before giving up (Opacus' MAX_SIGMA).
constexpr double kMaxNoiseMultiplier = 1e6;

/// Solves for the noise multiplier σ such that `steps` steps at sampling rate `q` spend at most
/// `target_epsilon` (Opacus `get_noise_multiplier`, same search, so the same σ for the same
/// inputs): σ_high doubles from 20 until ε(σ_high) ≤ target, then bisection on [0, σ_high] until
/// target − ε(σ_high) ≤ `tolerance`; returns σ_high. Throws ConfigError when the inputs are out
/// of range, when q = 0 or steps = 0 (every σ gives ε = 0: nothing to solve), or when the target
/// is unreachable (σ > kMaxNoiseMultiplier would be needed; with a finite set of orders ε never
/// drops below the conversion's floor, ≈ 0.1 for δ = 1e-5).
NoiseSolution solve_noise_multiplier(double target_epsilon, double delta, double q, int64_t steps,
                                     double tolerance = 0.01,
                                     const std::vector<double>& orders = default_orders());

/// Incremental RDP accountant for a trainer (Opacus `RDPAccountant`): call add_steps after each
/// epoch (or step) with the sampling rate and noise multiplier used, then epsilon(δ). Changing q
/// or σ between calls is fine: RDP adds up per order.
class RdpAccountant {
 public:
  /// One entry of the history: `steps` steps at sampling rate `q` with noise multiplier `sigma`.
  struct Entry {
    double q = 0;       ///< sampling rate
    double sigma = 0;   ///< noise multiplier
    int64_t steps = 0;  ///< number of steps
  };

  /// An accountant over `orders` (every order > 1), with nothing spent yet.
  explicit RdpAccountant(std::vector<double> orders = default_orders());

  /// Records `steps` more steps at sampling rate `q` ∈ [0, 1] and noise multiplier `sigma` ≥ 0.
  /// Consecutive calls with the same q and σ merge into one history entry. Throws ConfigError on
  /// out-of-range values.
  void add_steps(double q, double sigma, int64_t steps);

  /// (ε, δ) spent so far and the optimal order; ε = 0 (order NaN) while no step with q > 0 was
  /// recorded.
  PrivacySpent spent(double delta) const;
  /// ε spent so far for `delta` ∈ (0, 1).
  double epsilon(double delta) const { return spent(delta).epsilon; }

  /// Total number of steps recorded.
  int64_t steps() const { return total_steps_; }
  /// The orders α.
  const std::vector<double>& orders() const { return orders_; }
  /// Accumulated RDP per order (same length as orders()).
  const std::vector<double>& rdp() const { return rdp_; }
  /// What was recorded, in order (for checkpoints and reports).
  const std::vector<Entry>& history() const { return history_; }

  /// {"orders": [...], "history": [{"sample_rate", "noise_multiplier", "steps"}, ...]}: enough to
  /// rebuild the accountant (a checkpoint for --resume).
  nlohmann::json to_json() const;
  /// Rebuilds an accountant from to_json()'s output by replaying its history. Throws ConfigError
  /// naming the JSON path on malformed input.
  static RdpAccountant from_json(const nlohmann::json& j);

 private:
  std::vector<double> orders_;
  std::vector<double> rdp_;
  std::vector<Entry> history_;
  int64_t total_steps_ = 0;
  bool any_loss_ = false;  // a step with q > 0 was recorded
  // Per-step RDP of the last (q, σ) seen, so per-epoch calls cost one vector addition.
  double cached_q_ = -1, cached_sigma_ = -1;
  std::vector<double> cached_step_rdp_;
};

namespace detail {
/// log(A_α) by the binomial closed form; α a positive integer, 0 < q < 1, σ > 0.
double log_a_integer(double q, double sigma, int64_t alpha);
/// log(A_α) by the erfc series (Mironov et al. 2019, Section 3.3); any α > 1 (also integer,
/// where the series terminates and must agree with log_a_integer), 0 < q < 1, σ > 0. The terms
/// up to ⌊α⌋ are summed in full; the alternating tail by Opacus' loop, then by Cohen–Rodriguez
/// Villegas–Zagier acceleration after 16 terms. +∞ where a term is +∞ and for α > 1e6.
double log_a_fractional(double q, double sigma, double alpha);
/// log(erfc(x)) without underflow for large x.
double log_erfc(double x);
}  // namespace detail

}  // namespace fm::privacy
