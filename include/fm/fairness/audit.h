#pragma once
/// \file
/// Fairness audit over predictions: the input table, the options, and the result as a flat list of
/// named metric values that gates, baselines and report writers all read. Plain C++, no torch.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fm {

/// Predictions of any classifier, column-oriented. Rows with a missing group value use the value "".
struct AuditData {
  /// Class labels; y_true/y_pred hold indices into it.
  std::vector<std::string> classes;
  /// True class index per row.
  std::vector<int32_t> y_true;
  /// Predicted class index per row; empty when predictions come from scores and thresholds only.
  std::vector<int32_t> y_pred;
  /// scores[c][row] = score (probability) of classes[c]; empty, or one vector per class (a vector may
  /// be empty when that class has no score column).
  std::vector<std::vector<float>> scores;
  /// Sample weights; empty = every row weighs 1.
  std::vector<double> weights;
  /// Names of the group columns (e.g. "gender").
  std::vector<std::string> group_columns;
  /// group_codes[k][row] = index into group_values[k].
  std::vector<std::vector<int32_t>> group_codes;
  /// Distinct values of each group column, in first-seen order.
  std::vector<std::vector<std::string>> group_values;
  std::size_t rows() const { return y_true.size(); }
};

/// What to compute (the metric part of an audit policy).
struct AuditOptions {
  /// Class treated as positive; empty = every class one-vs-rest (binary data: the second of the
  /// sorted classes, i.e. "toxic" over "non_toxic", "1" over "0").
  std::string positive_label;
  /// Decision thresholds on the positive score: predicted positive iff score >= t. Empty = use
  /// y_pred (or 0.5 on the score when there is no y_pred).
  std::vector<double> thresholds;
  /// Reference group per column (Aequitas disparities, AIF360 privileged group). Columns not listed
  /// use `reference_rule`.
  std::vector<std::pair<std::string, std::string>> reference_groups;
  /// "majority" (largest group), "min_metric" (group with the lowest value of each metric), or
  /// "given" (only reference_groups).
  std::string reference_rule = "majority";
  /// Intersections to add, each a list of column names (e.g. {"gender", "race"}).
  std::vector<std::vector<std::string>> intersections;
  /// Groups smaller than this are flagged (and their metrics carry the flag).
  int64_t min_group_size = 30;
  /// Groups with fewer positives / negatives than this are flagged.
  int64_t min_group_positives = 5;
  int64_t min_group_negatives = 5;
  /// Aequitas' tau: a disparity d is fair iff tau <= d <= 1/tau.
  double tau = 0.8;
  /// Power-mean exponent of the Borkan et al. 2019 bias score.
  double power = -5.0;
  /// Bootstrap: 0 resamples = no confidence intervals.
  int64_t bootstrap_samples = 1000;
  double confidence = 0.95;
  uint64_t seed = 13;
  /// Threads of the bootstrap; 0 = std::thread::hardware_concurrency(). The intervals do not
  /// depend on it (resample r always uses random stream r of `seed`).
  int64_t threads = 0;
};

/// One number of the audit. Identifying fields are empty when they do not apply.
struct MetricValue {
  /// Metric name, e.g. "tpr", "selection_rate", "equalized_odds_difference", "disparate_impact",
  /// "bpsn_auc", "disparity_fpr", "final_bias_score" (full list in fairness/metrics.h).
  std::string name;
  /// Group column (or intersection "gender&race"); empty for whole-data metrics.
  std::string column;
  /// Group value for per-group metrics; empty for aggregates over a column.
  std::string group;
  /// Reference group of a disparity/AIF360 comparison.
  std::string reference;
  /// Positive class this value is for (one-vs-rest), or "*" for the worst case over classes.
  std::string label;
  /// Decision threshold used, when the metric depends on one.
  std::optional<double> threshold;
  /// Which tool's definition: "fairlearn", "aif360", "aequitas", "sklearn", "borkan2019", "fmkit".
  std::string convention;
  /// The value; nullopt = undefined, with `reason` ("no positives in group \"x\"").
  std::optional<double> value;
  std::string reason;
  /// Percentile bootstrap interval (when computed and defined).
  std::optional<double> lower, upper;
  /// Aequitas' tau-rule verdict for disparities.
  std::optional<bool> fair;
  /// Flags such as "small_group", "few_positives", "few_negatives".
  std::vector<std::string> flags;
};

/// Size facts of one group (or intersection cell), including empty/tiny cells.
struct GroupSummary {
  std::string column;
  std::string group;
  /// Positive class the positives/negatives and the class flags are for (one summary per class
  /// when every class is audited one-vs-rest).
  std::string label;
  double count = 0, positives = 0, negatives = 0;  ///< weighted when weights are given
  /// Unweighted numbers of rows (the flags compare these with the options' minimums).
  int64_t rows = 0, positive_rows = 0, negative_rows = 0;
  /// "empty", "small_group", "few_positives", "few_negatives".
  std::vector<std::string> flags;
};

/// Everything an audit computed.
struct AuditResult {
  std::vector<MetricValue> metrics;
  std::vector<GroupSummary> groups;
  std::vector<std::string> notes;  ///< conventions used, disclosures (empty intersection cells, ...)
};

/// Computes every metric for `data` under `options` (see fairness/metrics.h for definitions).
/// Throws fm::ConfigError for options that do not fit the data (unknown positive label, ...).
AuditResult compute_audit(const AuditData& data, const AuditOptions& options);

}  // namespace fm
