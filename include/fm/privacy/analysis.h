#pragma once
/// \file
/// fm-privacy's analysis: the (ε, δ) guarantee of a DP-SGD training run from its sampling rate,
/// noise multiplier and length (like TF Privacy's compute_dp_sgd_privacy and Opacus'
/// scripts/compute_dp_sgd_privacy), or the noise multiplier that meets a target ε.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "fm/privacy/accountant.h"

namespace fm::privacy {

/// What fm-privacy was asked. Exactly one of each group must be set: {sample_rate, dataset_size +
/// batch_size}, {noise_multiplier, target_epsilon}, {steps, epochs}. validate() names the flags.
struct DpSgdQuery {
  /// q ∈ [0, 1]: probability that an example is in a batch.
  std::optional<double> sample_rate;
  /// N ≥ 1: training examples (q = B / N).
  std::optional<int64_t> dataset_size;
  /// B ∈ [1, N]: examples per batch.
  std::optional<int64_t> batch_size;
  /// σ ≥ 0: noise standard deviation as a multiple of the clipping norm.
  std::optional<double> noise_multiplier;
  /// ε > 0 to solve σ for (instead of noise_multiplier).
  std::optional<double> target_epsilon;
  /// Bisection stops once the solved σ spends ε within this much below the target (> 0).
  double epsilon_tolerance = 0.01;
  /// T ≥ 0: optimizer steps.
  std::optional<int64_t> steps;
  /// E ≥ 0: epochs; steps = ⌈E·N/B⌉ (or ⌈E/q⌉), as TF Privacy's compute_dp_sgd_privacy.
  std::optional<double> epochs;
  /// δ ∈ (0, 1); required.
  std::optional<double> delta;
  /// RDP orders, each finite and > 1; empty = default_orders().
  std::vector<double> orders;
  /// "text" or "json".
  std::string format = "text";

  /// Throws ConfigError naming the flag, the rule and the value, e.g.
  /// `--sample-rate must be in [0, 1] (got 1.5)`.
  void validate() const;
};

/// Steps for `epochs` epochs at sampling rate `q` (or N / B): ⌈E/q⌉, where E/q within 1e-9
/// (relative) of an integer counts as that integer, so that 3 epochs at q = 0.1 are 30 steps,
/// not 31 through rounding. Throws ConfigError beyond 1e15 steps.
int64_t steps_for_epochs(double epochs, double q, std::optional<int64_t> dataset_size = {},
                         std::optional<int64_t> batch_size = {});

/// The answer to a DpSgdQuery.
struct DpSgdAnalysis {
  DpSgdQuery query;                ///< the question, as asked
  double sample_rate = 0;          ///< q
  double noise_multiplier = 0;     ///< σ, given or solved
  bool solved = false;             ///< σ was solved for query.target_epsilon
  int64_t steps = 0;               ///< T
  double delta = 0;                ///< δ
  std::vector<double> orders;      ///< the RDP orders used
  std::vector<double> rdp;         ///< RDP after T steps, per order
  PrivacySpent spent;              ///< ε (improved conversion, Balle et al. 2020) and its order
  PrivacySpent classic;            ///< ε by the classic conversion (Mironov 2017), for comparison
  std::vector<std::string> notes;  ///< caveats worth reading (δ vs 1/N, order at the grid's end)
};

/// Validates `query` and computes the guarantee (solving σ first when a target ε is given).
DpSgdAnalysis analyze_dp_sgd(const DpSgdQuery& query);

/// Every number of the analysis; ε = +∞ and undefined orders are null with a "*_reason".
nlohmann::json to_json(const DpSgdAnalysis& a);
/// Human-readable summary, one "key: value" per line, ending with the line "epsilon: …".
std::string format_text(const DpSgdAnalysis& a);

}  // namespace fm::privacy
