#pragma once
/// \file
/// Post-processing of a run's predictions, fitted by fm-train on the validation set after the best
/// weights are restored (fm/train/postprocess_fit.h) and applied by everything that predicts with
/// the run (fm-train's test
/// evaluation, fm-eval, fm-audit --run):
///
///   1. temperature scaling (`training.calibrate: "temperature"`): probabilities become
///      softmax(log p / T) (fm/eval/calibration.h); arg-max decisions do not change;
///   2. per-group thresholds (`training.fairness.thresholds.objective`: "demographic_parity" or
///      "equalized_odds", on `training.fairness.group_column`; fm/fairness/thresholds.h), fitted on
///      the probabilities after temperature: the decision of a binary task becomes the group's
///      randomised threshold rule on the positive-class probability, with the row's deterministic
///      coin from its id (data.id_column or row number) and `training.seed`. Rows of groups not
///      seen at fit time use the overall threshold (a warning names them).
///
/// Saved in the run directory as `postprocess.json` (written atomically) and summarised in
/// manifest.json under "postprocess":
///   {"format": 1, "temperature": T | null, "temperature_fit": {...} | null,
///    "thresholds": <group_thresholds_to_json> | null,
///    "validation": {"rows", "before": {...}, "after_temperature": {...}, "after": {...}}}
/// where before/after hold the validation nll, ece, mce, brier, accuracy, macro_f1 (and, with
/// thresholds, the realised demographic_parity_difference / equalized_odds_difference on the
/// group column, i.e. with the coins drawn).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "fm/config/config.h"
#include "fm/data/dataset.h"
#include "fm/data/encoded.h"
#include "fm/mitigation/thresholds.h"
#include "fm/eval/evaluation.h"
#include "fm/runs/run_files.h"

namespace fm {

/// File name of the post-processing parameters inside a run directory.
constexpr const char* kPostprocessFile = RunFiles::kPostprocess;

/// Fitted post-processing of a run (empty = none: predictions are the model's own).
struct PostProcess {
  /// Softmax temperature; nullopt = not calibrated.
  std::optional<double> temperature;
  /// Per-group decision rules; nullopt = arg-max decisions.
  std::optional<GroupThresholds> thresholds;
  /// Fit details and validation numbers before/after (kept as written, for reports).
  nlohmann::json details = nlohmann::json::object();
  bool empty() const { return !temperature && !thresholds; }
};

/// Index of the thresholds' positive label in `labels`: `positive_label`, or the second label
/// when it is empty. Throws fm::ModelError naming `where` when it is not a label of the run.
int64_t positive_index(const std::vector<std::string>& labels, const std::string& positive_label,
                       const std::string& where);

/// The manifest.json summary: temperature, thresholds per group, validation numbers (null when
/// empty).
nlohmann::json postprocess_manifest_json(const PostProcess& post);

/// postprocess.json's contents.
nlohmann::json postprocess_to_json(const PostProcess& post);
/// Parses postprocess.json's contents; problems throw fm::ModelError naming `path`.
PostProcess postprocess_from_json(const nlohmann::json& j, const std::string& path);
/// Reads `run_dir`/postprocess.json; an empty PostProcess when the file does not exist.
PostProcess read_postprocess(const std::string& run_dir);

/// Applies `post` to `pred` (probabilities rows × classes of `labels`, in `data` order): the
/// temperature (probabilities and per-row loss, when `data` has labels), then the thresholds
/// (decisions). `data` must carry the thresholds' group column (fm::DataError otherwise). Rows of
/// unseen groups are counted and logged as a warning.
PostProcessApplied apply_postprocess(const PostProcess& post,
                                     const std::vector<std::string>& labels, const Dataset& data,
                                     Predictions& pred);

/// Form for predictions derived from rows of `data` (e.g. counterfactual texts): prediction i
/// takes the group value and id (hence the coin) of data row `rows[i]`; the loss is not touched.
PostProcessApplied apply_postprocess(const PostProcess& post,
                                     const std::vector<std::string>& labels, const Dataset& data,
                                     const std::vector<std::size_t>& rows, Predictions& pred);

/// Lower-level form: `row_groups` / `row_ids` give each row's group value (ignored without
/// thresholds; may then be empty) and id; `y_true` the label indices for the loss (may be empty).
PostProcessApplied apply_postprocess(const PostProcess& post,
                                     const std::vector<std::string>& labels,
                                     const std::vector<std::string>& row_groups,
                                     const std::vector<std::string>& row_ids,
                                     const std::vector<int64_t>& y_true, Predictions& pred);

/// Adds the thresholds' group column to `columns` when it is not there (so that a dataset read
/// with them can be post-processed); returns true when it was added (as the last column).
bool add_postprocess_column(const PostProcess& post, std::vector<std::string>& columns);

}  // namespace fm
