#pragma once
/// \file
/// Reading a predictions CSV (fm-eval's `id,y_true,y_pred,p_<class>...,<groups>` by default, or
/// another tool's columns) into the audit table.

#include <string>
#include <vector>

#include "fm/data/audit_data.h"

namespace fm {

/// Which columns of the CSV hold what.
struct PredictionColumns {
  /// True label column (required).
  std::string true_column = "y_true";
  /// Predicted label column; "" = none (thresholds on the score decide).
  std::string pred_column = "y_pred";
  /// One score column for binary data: the positive class's probability; "" = every column named
  /// `score_prefix` + class label.
  std::string score_column;
  /// Prefix of the per-class probability columns.
  std::string score_prefix = "p_";
  /// Sample weight column (finite, >= 0); "" = every row weighs 1.
  std::string weight_column;
  /// Group columns to carry (at least one is needed for an audit, not checked here).
  std::vector<std::string> group_columns;
  /// Positive class, used to place `score_column`; "" = the second sorted class.
  std::string positive_label;
};

/// Reads `path`. Classes are the sorted union of the true and predicted labels and the suffixes of
/// the `p_` columns. Scores must be numbers in [0, 1] (probabilities: thresholds and calibration
/// assume them), so a logit column is refused rather than silently mis-thresholded. Throws
/// fm::DataError "path:LINE: ..." for a missing column (with did-you-mean), an empty label, a
/// non-numeric or out-of-range score or weight, a file without rows; `score_column` on data
/// that is not binary, and a `positive_label` that is not a class, are fm::ConfigError.
AuditData read_predictions_csv(const std::string& path, const PredictionColumns& columns);

}  // namespace fm
