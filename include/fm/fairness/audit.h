#pragma once
/// \file
/// Fairness audit over predictions: the input table (data/audit_data.h), the options
/// (fairness/options.h), and the result as a flat list of named metric values that gates,
/// baselines and report writers all read. Every metric name is a row of the catalogue
/// (fairness/catalogue.h). Plain C++, no torch.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fm/data/audit_data.h"
#include "fm/fairness/options.h"

namespace fm {

/// One number of the audit. Identifying fields are empty when they do not apply.
struct MetricValue {
  /// Metric name, e.g. "tpr", "selection_rate", "equalized_odds_difference", "disparate_impact",
  /// "bpsn_auc", "disparity_fpr", "final_bias_score" (every name: fairness/catalogue.h).
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
  /// Which tool's definition: the catalogue row's convention ("fmkit", "fairlearn", "aif360",
  /// "aequitas", "borkan2019", "garg2019").
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

/// Computes every metric for `data` under `options` (names: fairness/catalogue.h; definitions:
/// fairness/metrics.h).
/// Throws fm::ConfigError for options that do not fit the data (unknown positive label, ...).
AuditResult compute_audit(const AuditData& data, const AuditOptions& options);

}  // namespace fm
