#pragma once
/// \file
/// fm-eval's writers: the report of one or many evaluations (text, JSON, Markdown) and the
/// predictions CSV.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fm/data/dataset.h"
#include "fm/eval/evaluation.h"

namespace fm {

/// Predictions CSV: `id,y_true,y_pred,p_<class>...,<group columns>` (RFC 4180).
std::string predictions_csv(const Dataset& data, const std::vector<std::string>& labels,
                            const Predictions& predictions);

/// Report in `format` ("text", "json", "markdown") for several evaluations.
std::string format_evaluations(const std::vector<RunEvaluation>& evals, const std::string& format,
                               int digits);
/// JSON object of one evaluation (every number of the report plus run, data, loss, timing).
nlohmann::json evaluation_to_json(const RunEvaluation& eval);

/// The "postprocess" object of fm-eval's JSON: temperature (or null), thresholds (objective,
/// column, unseen rows/groups, changed decisions) or null.
nlohmann::json postprocess_applied_to_json(const PostProcessApplied& applied);
/// One-line description for text reports: "temperature 1.4200 applied" or "no temperature
/// applied".
std::string temperature_note(const PostProcessApplied& applied);
/// One-line description of the applied thresholds (empty when none), e.g. "decisions: per-group
/// thresholds (equalized_odds on race), 12 changed from the arg-max".
std::string thresholds_note(const PostProcessApplied& applied);

}  // namespace fm
