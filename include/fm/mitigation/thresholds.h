#pragma once
/// \file
/// Post-processing with per-group decision thresholds (Hardt, Price & Srebro 2016, "Equality of
/// Opportunity in Supervised Learning"), with the semantics of Fairlearn's `ThresholdOptimizer`
/// (objective accuracy, `flip=False`, `predict_method` = the positive-class probability). Binary
/// tasks only. Plain C++, no torch.
///
/// Per group g, the ROC points of the rules "positive iff score > t" are taken at t = +inf (never
/// positive), at the midpoint between consecutive distinct scores, and at t = −inf (always
/// positive); their upper convex hull (Andrew's monotone chain, collinear points dropped, as
/// Fairlearn's `_get_roc`) is what randomised mixtures of two neighbouring thresholds reach.
///
///   demographic_parity: along each hull, selection s = q·FPR + (1−q)·TPR and error
///     e = q·FPR + (1−q)·(1−TPR) (q = the group's fraction of negatives) are linear between
///     vertices; the common s minimising Σ_g (n_g/n) e_g(s) is found exactly (the objective is
///     piecewise linear, so the minimum lies at a vertex selection of some group), and each group
///     mixes the two hull vertices around s.
///   equalized_odds: the common point (x, y) = (FPR, TPR) with y = min_g hull_g(x) minimising
///     n_neg/n·x + n_pos/n·(1 − y) (Fairlearn's `_threshold_optimization_equalized_odds`; found
///     exactly at a hull vertex or a crossing of two hulls instead of on a 1000-point grid). A
///     group whose hull lies above y at x mixes its hull point with the score-blind rule "positive
///     with probability x" (Fairlearn's p_ignore) so that it lands on (x, y).
///
/// Ties of the objective go to the smallest selection rate / FPR (Fairlearn's `idxmin`).
/// A group with no positives or no negatives in the fitting data has no ROC curve (Fairlearn
/// raises); it is left out of the constraint and uses the overall rule, with a reason. The overall
/// rule — also used for groups unseen at fit time — is the single group-blind threshold with the
/// highest accuracy on all fitting rows (ties: the threshold closest to 0.5).
///
/// Randomisation is deterministic: the coin of a row is u = splitmix64(fnv1a64(row id) XOR
/// splitmix64(seed)) >> 11, times 2^-53 (uniform in [0, 1)), where the row id is the predictions'
/// `id` (data.id_column, or the 0-based row number); the row is positive iff u < P(positive |
/// score, group). The same row id and seed always give the same decision.

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fm {

/// A randomised decision rule on the positive-class score:
/// P(positive | score) = p_ignore·constant + (1 − p_ignore)·(p0·[score > threshold0] +
/// (1 − p0)·[score > threshold1]). Thresholds may be ±infinity (never / always positive).
struct ThresholdRule {
  double threshold0 = 0.5;
  double threshold1 = 0.5;
  /// Probability of deciding with threshold0 (1 − p0: threshold1).
  double p0 = 1.0;
  /// Probability of ignoring the score (equalized odds only) ...
  double p_ignore = 0.0;
  /// ... and then predicting positive with this probability.
  double constant = 0.0;
  /// P(positive | score) under the rule.
  double positive_probability(double score) const;
};

/// One group's fitted rule and its expected rates on the fitting data (exact expectations over
/// the randomisation, not a draw).
struct GroupThreshold {
  std::string group;
  ThresholdRule rule;
  /// False when the group was left out of the constraint (no positives or no negatives) and uses
  /// the overall rule; `reason` says why.
  bool fitted = true;
  std::string reason;
  int64_t rows = 0, positives = 0, negatives = 0;
  double selection_rate = 0.0;
  std::optional<double> tpr;  ///< undefined without positives
  std::optional<double> fpr;  ///< undefined without negatives
  double accuracy = 0.0;
};

/// Per-group rules for one group column.
struct GroupThresholds {
  /// "demographic_parity" or "equalized_odds".
  std::string objective;
  /// Group column the rules are keyed by.
  std::string column;
  /// Class whose probability is the score.
  std::string positive_label;
  /// Seed of the deterministic coins.
  uint64_t seed = 0;
  /// Rule for groups unseen at fit time and for groups left out of the constraint.
  ThresholdRule overall;
  /// Fitted groups, in byte order of their values.
  std::vector<GroupThreshold> groups;
  /// The common operating point on the fitting data: selection rate (demographic parity) or
  /// (FPR, TPR) (equalized odds); expected accuracy of the fitted rules over the fitted groups.
  double target_selection_rate = 0.0;
  double target_fpr = 0.0, target_tpr = 0.0;
  double expected_accuracy = 0.0;
  /// The rule of `group`, or `overall` when the group was not fitted; `*unseen` (if given) is set
  /// true when the group did not occur at fit time.
  const ThresholdRule& rule_for(const std::string& group, bool* unseen = nullptr) const;
};

/// Fits the rules on `scores` (positive-class probabilities), `positive` (1 = the row's true label
/// is the positive class) and `groups` (the row's group value). Throws fm::ConfigError for an
/// unknown objective and fm::DataError for inconsistent sizes, no rows, a non-finite score, or
/// fitting data without positives or without negatives.
GroupThresholds fit_group_thresholds(const std::vector<double>& scores,
                                     const std::vector<int>& positive,
                                     const std::vector<std::string>& groups,
                                     const std::string& objective);

/// The row's coin u in [0, 1) (see the file comment).
double decision_coin(uint64_t seed, std::string_view row_id);

/// JSON form (postprocess.json): thresholds as numbers, ±infinity as the strings "inf" / "-inf".
nlohmann::json group_thresholds_to_json(const GroupThresholds& t);
/// Reads group_thresholds_to_json's form; problems throw fm::ModelError naming `where`.
GroupThresholds group_thresholds_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace fm
