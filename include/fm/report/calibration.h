#pragma once
/// \file
/// Writers of a calibration report (fm/eval/calibration.h): JSON, text and Markdown.

#include <string>

#include <nlohmann/json.hpp>

#include "fm/eval/calibration.h"

namespace fm {

/// The report as JSON: {"rows", "bins_rule", "ece", "mce", "brier", "brier_positive",
/// "positive_label", "nll", "accuracy", "bins": [{"lower", "upper", "count", "mean_confidence",
/// "accuracy"}], ["undefined": {metric: reason}]}. Undefined values are null with their reason.
nlohmann::json calibration_to_json(const CalibrationReport& report);

/// Text block (ends with a newline): one line of numbers, then the non-empty bins as a table.
/// `temperature_note` is printed in the heading (e.g. "temperature 1.31 applied").
std::string format_calibration_text(const CalibrationReport& report, int digits,
                                    const std::string& temperature_note);
/// The same as Markdown (a numbers table and a bins table).
std::string format_calibration_markdown(const CalibrationReport& report, int digits,
                                        const std::string& temperature_note);

}  // namespace fm
