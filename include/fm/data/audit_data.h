#pragma once
/// \file
/// The table a fairness audit reads: true and predicted classes, scores, weights and group codes
/// of every row. Filled by the predictions CSV reader (fm/data/predictions.h) or by predicting with
/// a run (fm/jobs/audit_run.h); read by fm::compute_audit (fm/fairness/audit.h).

#include <cstddef>
#include <cstdint>
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

}  // namespace fm
