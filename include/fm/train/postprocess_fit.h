#pragma once
/// \file
/// fm-train's post-processing step: fits the softmax temperature and per-group decision thresholds
/// that `training.calibrate` and `training.fairness.thresholds` ask for on the validation set, and
/// writes postprocess.json (the format and how it is applied: fm/runs/postprocess.h).

#include <string>
#include <vector>

#include "fm/config/config.h"
#include "fm/data/dataset.h"
#include "fm/data/encoded.h"
#include "fm/model/lstm_classifier.h"
#include "fm/runs/postprocess.h"

namespace fm {

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

}  // namespace fm
