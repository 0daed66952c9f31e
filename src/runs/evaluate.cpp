#include "fm/runs/evaluate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "fm/data/csv.h"
#include "fm/data/encoded.h"
#include "fm/error.h"
#include "fm/report/calibration.h"
#include "fm/report/classification_text.h"
#include "fm/report/classification_json.h"
#include "fm/io/files.h"
#include "fm/log.h"
#include "fm/model/runtime.h"
#include "fm/text/redact.h"
#include "fm/version.h"

namespace fm {
namespace fs = std::filesystem;

namespace {

/// Class of the binary Brier score: the thresholds' positive label when configured, else the
/// second label.
int64_t calibration_positive(const LoadedRun& run) {
  const auto& label = run.config.training.fairness.thresholds.positive_label;
  const auto it = std::find(run.labels.begin(), run.labels.end(), label);
  return label.empty() || it == run.labels.end() ? -1 : it - run.labels.begin();
}

}  // namespace

RunEvaluation evaluate_run(LoadedRun& run, const Dataset& data, int64_t batch_size) {
  const auto start = std::chrono::steady_clock::now();
  RunEvaluation eval;
  eval.run_dir = run.dir;
  eval.data_path = data.path;
  eval.privacy = run.manifest.is_object() ? run.manifest.value("privacy", nlohmann::json()) : nullptr;
  const auto encoded = encode_dataset(data, run.tokenizer, run.config.padding, run.labels,
                                      torch::get_num_threads());
  eval.predictions = predict(run.model, encoded, batch_size);
  eval.postprocess = apply_postprocess(run.postprocess, run.labels, data, eval.predictions);
  eval.calibration = calibration_report(eval.predictions.probabilities, run.labels, encoded.labels,
                                        calibration_positive(run));
  std::vector<std::string> y_true, y_pred;
  y_true.reserve(data.examples.size());
  y_pred.reserve(data.examples.size());
  double loss = 0.0;
  for (std::size_t i = 0; i < data.examples.size(); ++i) {
    y_true.push_back(data.examples[i].label);
    y_pred.push_back(run.labels[static_cast<std::size_t>(eval.predictions.predicted[i])]);
    loss += eval.predictions.loss.empty() ? 0.0 : eval.predictions.loss[i];
  }
  eval.mean_loss = data.examples.empty() ? 0.0 : loss / static_cast<double>(data.examples.size());
  eval.report = classification_report(y_true, y_pred);
  eval.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return eval;
}

}  // namespace fm
