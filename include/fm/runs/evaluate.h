#pragma once
/// \file
/// fm-eval's library side: evaluate one or many runs on a dataset in one process.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fm/data/dataset.h"
#include "fm/eval/calibration.h"
#include "fm/eval/metrics.h"
#include "fm/runs/postprocess.h"
#include "fm/runs/predict.h"
#include "fm/runs/run_directory.h"

namespace fm {

/// What fm-eval was asked to do.
struct EvalJob {
  /// Run directories to evaluate (each loaded once).
  std::vector<std::string> runs;
  /// Labelled CSV/JSONL file, read with each run's column names.
  std::string data;
  /// "text" (scikit-learn's report + confusion matrix), "json" or "markdown".
  std::string format = "text";
  /// Decimal digits in text/markdown reports (scikit-learn's `digits`).
  int digits = 2;
  /// Predictions CSV path; with several runs, "-<run name>" is inserted before the extension.
  std::string predictions;
  /// Report destination; empty = stdout.
  std::string output;
  /// LibTorch threads; 0 = all cores.
  int64_t threads = 0;
  /// Inference batch size.
  int64_t batch_size = 256;
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

/// Predicts `data` with `run`, applies the run's post-processing and builds the classification
/// report and the calibration report (labels must be known to the run).
RunEvaluation evaluate_run(LoadedRun& run, const Dataset& data, int64_t batch_size = 256);

/// Predictions CSV: `id,y_true,y_pred,p_<class>...,<group columns>` (RFC 4180).
std::string predictions_csv(const Dataset& data, const std::vector<std::string>& labels,
                            const Predictions& predictions);

/// Report in `format` ("text", "json", "markdown") for several evaluations.
std::string format_evaluations(const std::vector<RunEvaluation>& evals, const std::string& format,
                               int digits);
/// JSON object of one evaluation (every number of the report plus run, data, loss, timing).
nlohmann::json evaluation_to_json(const RunEvaluation& eval);

/// Runs the whole job: load runs, read data, predict, write report and predictions.
void run_eval(const EvalJob& job);

}  // namespace fm
