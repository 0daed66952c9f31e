#pragma once
/// \file
/// Post-processing of a run's predictions, fitted by fm-train on the validation set after the best
/// weights are restored and applied by everything that predicts with the run (fm-train's test
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
#include "fm/fairness/thresholds.h"
#include "fm/runs/predict.h"
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

/// What applying a PostProcess did to one set of predictions.
struct PostProcessApplied {
  std::optional<double> temperature;
  /// Objective and group column of the thresholds; empty when none were applied.
  std::string objective;
  std::string column;
  /// Rows decided by the overall threshold because their group was unseen at fit time.
  int64_t unseen_rows = 0;
  std::vector<std::string> unseen_groups;
  /// Rows whose decision differs from the arg-max.
  int64_t changed_decisions = 0;
};

/// Checks, before training starts, that the configured post-processing can be fitted: a
/// validation set exists (temperature and thresholds) and thresholds are asked of a binary task
/// whose positive label is one of `labels`. Throws fm::ConfigError naming the key.
void check_postprocess_config(const RunConfig& config, bool has_validation,
                              const std::vector<std::string>& labels);

/// Fits what `config` asks for on the validation set (predicting it with `model`), logs the
/// before/after numbers, and writes `postprocess.json` into `run_dir` — or removes a stale one
/// when nothing is configured. Returns the fitted post-processing (empty when none).
PostProcess fit_run_postprocess(const RunConfig& config, const Dataset& valid,
                                const EncodedDataset& valid_encoded,
                                const std::vector<std::string>& labels, LstmClassifier& model,
                                const std::string& run_dir);

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
