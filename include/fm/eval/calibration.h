#pragma once
/// \file
/// Probability calibration: expected / maximum calibration error with reliability-diagram bins,
/// Brier scores and negative log-likelihood (pure functions over probabilities, no torch), and
/// temperature scaling (Guo, Pleiss, Sun & Weinberger 2017, "On Calibration of Modern Neural
/// Networks") fitted from probabilities alone.
///
/// Conventions (as Guo et al. and their reference code, gpleiss/temperature_scaling `_ECELoss`):
///   confidence_i = max_k p_ik; correct_i = (arg-max_k p_ik == y_i), arg-max = first on ties.
///   B equal-width bins with edges e_b = b / B (b = 0..B, computed in double); bin b holds the
///   rows with e_b < confidence <= e_{b+1}, so the first bin is (0, 1/B] and the last
///   ((B-1)/B, 1] (a confidence of exactly 0 falls in no bin; it cannot occur, confidence >= 1/K).
///   ECE = Σ_b (n_b / n) |acc_b − conf_b|, MCE = max over non-empty bins of |acc_b − conf_b|.
/// Brier (multi-class, Brier 1950) = mean over rows of Σ_k (p_ik − [y_i = k])²; for two classes
/// it is twice scikit-learn's `brier_score_loss(y == pos, p_pos)`, which is reported separately
/// as `brier_positive` = mean (p_pos − [y = pos])². NLL = mean −log p_{i, y_i}, with p floored at
/// the smallest positive float (a probability that underflowed to 0 counts as 1.4e-45).

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "fm/eval/metrics.h"

namespace fm {

/// Number of confidence bins of Guo et al. 2017.
constexpr int kCalibrationBins = 15;

/// One bin of a reliability diagram: rows with lower < confidence <= upper.
struct ReliabilityBin {
  double lower = 0.0;
  double upper = 0.0;
  int64_t count = 0;
  /// Mean confidence and accuracy (fraction of correct arg-max predictions) of the bin's rows;
  /// nullopt when the bin is empty.
  std::optional<double> mean_confidence;
  std::optional<double> accuracy;
};

/// Calibration numbers of a set of probability vectors against labels.
struct CalibrationReport {
  int64_t rows = 0;
  int64_t num_classes = 0;
  MaybeValue ece;    ///< expected calibration error (undefined: no rows)
  MaybeValue mce;    ///< maximum calibration error (undefined: no rows)
  MaybeValue brier;  ///< multi-class Brier score, Σ over classes (undefined: no rows)
  /// Binary tasks only: scikit-learn's brier_score_loss of `positive_label` (mean squared error of
  /// its probability); undefined for multi-class data or no rows.
  MaybeValue brier_positive;
  std::string positive_label;        ///< class `brier_positive` is for ("" when undefined)
  MaybeValue nll;                    ///< mean negative log-likelihood (undefined: no rows)
  MaybeValue accuracy;               ///< accuracy of the arg-max (undefined: no rows)
  std::vector<ReliabilityBin> bins;  ///< always `num_bins` bins, in increasing confidence
};

/// Computes the report of `probabilities` (rows × num_classes, row-major) against `y_true` (class
/// indices). `labels` names the classes (labels.size() == num_classes); `positive` is the class
/// index of `brier_positive` (-1 = the second class of a binary task). Throws fm::DataError when
/// the sizes disagree or a label index is out of range, fm::ConfigError when num_bins < 1.
CalibrationReport calibration_report(const std::vector<float>& probabilities,
                                     const std::vector<std::string>& labels,
                                     const std::vector<int64_t>& y_true, int64_t positive = -1,
                                     int num_bins = kCalibrationBins);

/// Result of fitting one softmax temperature.
struct TemperatureFit {
  double temperature = 1.0;
  double nll_before = 0.0;  ///< mean NLL at T = 1
  double nll_after = 0.0;   ///< mean NLL at the fitted T
  int iterations = 0;
  /// True when the optimum lies at a bound of [kMinTemperature, kMaxTemperature] (e.g. a validation
  /// set the model separates perfectly, where the NLL keeps falling as T → 0).
  bool at_bound = false;
  std::string note;  ///< why the fit stopped where it did, when that is not the interior optimum
};

/// Temperatures are searched in [kMinTemperature, kMaxTemperature].
constexpr double kMinTemperature = 0.01;
constexpr double kMaxTemperature = 100.0;

/// Fits T > 0 minimising the mean NLL of softmax(log p / T) over the rows (log p = the logits up to
/// a per-row constant, so the probabilities suffice). NLL(β) with β = 1/T is convex in β (a mean
/// of log-sum-exps of linear functions minus a linear term), its derivative is
/// mean(E_q[log p] − log p_y) and its second derivative mean(Var_q[log p]) with q = softmax(β log
/// p): the fit is Newton's method on β safeguarded by bisection on the sign of the derivative,
/// inside [1/kMaxTemperature, 1/kMinTemperature], to |derivative| < 1e-12 or a bracket narrower
/// than 1e-13·β. When every row's probabilities are uniform the NLL does not depend on T and T =
/// 1 is returned. Throws fm::DataError for no rows or inconsistent sizes.
TemperatureFit fit_temperature(const std::vector<float>& probabilities, int64_t num_classes,
                               const std::vector<int64_t>& y_true);

/// Mean NLL of softmax(log p / temperature) (the quantity fit_temperature minimises).
double temperature_nll(const std::vector<float>& probabilities, int64_t num_classes,
                       const std::vector<int64_t>& y_true, double temperature);

/// Replaces `probabilities` (rows × num_classes) with softmax(log p / temperature), computed in
/// double and rounded to float. When `loss` is non-empty (one value per row) and `y_true` is
/// given, it is replaced by the per-row NLL of the new probabilities (computed before rounding).
void apply_temperature(std::vector<float>& probabilities, int64_t num_classes, double temperature,
                       const std::vector<int64_t>& y_true = {}, std::vector<float>* loss = nullptr);

}  // namespace fm
