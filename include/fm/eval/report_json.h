#pragma once
/// \file
/// JSON form of the classification report: every number, undefined values as null plus reason.

#include <nlohmann/json_fwd.hpp>

#include "fm/eval/metrics.h"

namespace fm {

/// {"classes": {label: {precision, recall, f1, support, [undefined: {metric: reason}]}}, "accuracy",
///  "macro_avg", "weighted_avg", "total", "confusion_matrix": {"labels": [...], "counts": [[...]]}}
nlohmann::json report_to_json(const ClassificationReport& report);

}  // namespace fm
