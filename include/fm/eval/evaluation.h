#pragma once
/// \file
/// What evaluating a run on a dataset produces: predictions, what post-processing did to them, and
/// the reports. Plain structs (no torch), so report writers and audits can take them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fm/eval/calibration.h"
#include "fm/eval/metrics.h"

namespace fm {

/// Class probabilities (softmax of the logits) and arg-max predictions, in dataset row order.
struct Predictions {
  int64_t num_classes = 0;
  std::vector<float> probabilities;  ///< rows * num_classes, row-major
  std::vector<int64_t> predicted;    ///< arg-max class index per row (first on ties)
  std::vector<float> loss;           ///< per-row cross-entropy when the data has labels, else empty
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

/// The result of evaluating one run on one dataset.
struct RunEvaluation {
  std::string run_dir;
  std::string data_path;
  ClassificationReport report;
  /// After the run's post-processing (temperature, per-group thresholds).
  Predictions predictions;
  /// Calibration of the (post-processed) probabilities; always computed.
  CalibrationReport calibration;
  /// What the run's post-processing did (nothing for runs without postprocess.json).
  PostProcessApplied postprocess;
  /// The run's DP-SGD guarantee (manifest.json "privacy"); null when trained without DP-SGD.
  nlohmann::json privacy;
  double mean_loss = 0.0;
  double seconds = 0.0;
};

}  // namespace fm
