#pragma once
/// \file
/// JSON form of the classification report: every number, undefined values as null plus reason.

#include <nlohmann/json_fwd.hpp>

#include "fm/eval/metrics.h"

namespace fm {

/// The report as JSON:
/// {"classes": {label: {"precision", "recall", "f1", "support", ["undefined": {metric: reason}]}},
///  "accuracy", "micro_is_accuracy",
///  "macro_avg" / "weighted_avg": {"precision", "recall", "f1", "support",
///                                 ["zero_division": {metric: note}]},
///  "total", "confusion_matrix": {"labels": [...], "counts": [[...], ...]}}.
/// Undefined per-class values are null with their reason under "undefined"; averages are sklearn's
/// numbers, and "zero_division" names the undefined values they counted as 0. Class keys are unique
/// labels; "confusion_matrix.labels" keeps the report's row order.
nlohmann::json report_to_json(const ClassificationReport& report);

}  // namespace fm
