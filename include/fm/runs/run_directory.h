#pragma once
/// \file
/// The run directory written by fm-train and read by fm-eval / fm-audit:
///
///   model.pt         best weights: a PyTorch state dict (torch.load()-able, nn.LSTM names)
///   tokenizer.json   Keras Tokenizer.to_json() layout
///   labels.json      {"labels": [...]} — output index i is labels[i]
///   config.json      the resolved configuration
///   metrics.jsonl    one JSON object per epoch
///   manifest.json    versions, seed, data SHA-256s and counts, timings
///   postprocess.json when training.calibrate or training.fairness.thresholds is set: the fitted
///                    softmax temperature and per-group decision thresholds, with validation
///                    numbers before/after (fm/runs/postprocess.h); applied by fm-eval / fm-audit
///   checkpoint/      last epoch's weights, optimizer and trainer state (for --resume)
///
/// Every file is written to a temporary name and renamed.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

#include "fm/config/config.h"
#include "fm/model/lstm_classifier.h"
#include "fm/runs/postprocess.h"
#include "fm/text/tokenizer.h"

namespace fm {

/// File names inside a run directory.
struct RunFiles {
  static constexpr const char* kModel = "model.pt";
  static constexpr const char* kTokenizer = "tokenizer.json";
  static constexpr const char* kLabels = "labels.json";
  static constexpr const char* kConfig = "config.json";
  static constexpr const char* kMetrics = "metrics.jsonl";
  static constexpr const char* kManifest = "manifest.json";
  static constexpr const char* kPostprocess = kPostprocessFile;
  static constexpr const char* kCheckpointDir = "checkpoint";
};

/// Everything needed to predict with a trained run.
struct LoadedRun {
  std::string dir;
  RunConfig config;
  Tokenizer tokenizer;
  std::vector<std::string> labels;
  LstmClassifier model{nullptr};
  nlohmann::json manifest;
  /// Temperature and per-group thresholds from postprocess.json (empty when the run has none).
  PostProcess postprocess;
};

/// Loads and checks a run directory (format version, files present, weights matching the config;
/// postprocess.json when present). Any problem throws fm::ModelError naming the file.
LoadedRun load_run(const std::string& dir);

/// Saves `module`'s parameters and buffers as a PyTorch state dict (pickle), atomically.
void save_state_dict(const torch::nn::Module& module, const std::string& path);
/// Loads a state dict saved by save_state_dict (or torch.save(model.state_dict()) in Python) into
/// `module`; missing/unexpected keys, shape mismatches and corrupt files throw fm::ModelError.
void load_state_dict(torch::nn::Module& module, const std::string& path);

/// Writes `value` as pretty JSON to `path` atomically.
void write_json_atomic(const std::string& path, const nlohmann::json& value);
/// Reads a JSON file that belongs to a run; problems throw fm::ModelError naming the file.
nlohmann::json read_run_json(const std::string& path);

}  // namespace fm
