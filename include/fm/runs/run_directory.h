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
///   checkpoint/      last epoch's weights, optimizer and trainer state (for --resume;
///                    fm/runs/checkpoint.h)
///
/// Every file is written to a temporary name and renamed; the run is built beside DIR and swapped
/// in whole (fm/runs/staging.h). manifest.json, written last, records the SHA-256 of every other
/// file fm-train wrote ("files"); readers check each file against it before use (RunDigests).

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

#include "fm/config/config.h"
#include "fm/model/lstm_classifier.h"
#include "fm/runs/postprocess.h"
#include "fm/runs/run_files.h"
#include "fm/runs/run_json.h"
#include "fm/text/tokenizer.h"

namespace fm {


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

/// Loads and checks a run directory (format version, files present and matching the SHA-256s in
/// manifest.json, weights matching the config; postprocess.json when present). Any problem throws
/// fm::ModelError naming the file. Runs from fmkit 0.1 (no digests) load with a warning.
LoadedRun load_run(const std::string& dir);

/// Saves `module`'s parameters and buffers as a PyTorch state dict (pickle), atomically.
void save_state_dict(const torch::nn::Module& module, const std::string& path);
/// Loads a state dict saved by save_state_dict (or torch.save(model.state_dict()) in Python) into
/// `module`; missing/unexpected keys, shape mismatches and corrupt files throw fm::ModelError.
void load_state_dict(torch::nn::Module& module, const std::string& path);
/// The same from the file's bytes, already read (and verified) by the caller; `path` names it in
/// errors.
void load_state_dict_bytes(torch::nn::Module& module, std::string_view bytes,
                           const std::string& path);

}  // namespace fm
