#pragma once
/// \file
/// Where training stands, as checkpoint/state.json and metrics.jsonl record it (the format:
/// fm/runs/checkpoint.h), and what --resume may change. No LibTorch (fmkit_core), so the files
/// can be checked — and fuzzed — without a model.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fm/config/config.h"

namespace fm {

/// Format version of checkpoint/state.json.
constexpr int kCheckpointFormatVersion = 2;

/// Validation (and training) figures of one epoch, as written to metrics.jsonl.
struct EpochMetrics {
  int64_t epoch = 0;
  double train_loss = 0.0;
  std::optional<double> val_loss, val_accuracy, val_macro_f1, val_weighted_f1;
  double seconds = 0.0;
  double tokens_per_second = 0.0;  ///< non-padding training tokens per second
  std::optional<double> epsilon;   ///< DP-SGD: ε spent after this epoch (training.privacy)
};

/// One metrics.jsonl line.
nlohmann::json epoch_json(const EpochMetrics& m);

/// Where training stands after an epoch: what early stopping and --resume need.
struct TrainerState {
  int64_t epochs_completed = 0;
  int64_t best_epoch = 0;           ///< 0 before the first epoch
  std::optional<double> best_score; ///< the monitored metric, oriented so that higher is better
  int64_t bad_epochs = 0;           ///< epochs since the last improvement
  std::vector<EpochMetrics> history;
};

/// SHA-256 of each data file a run reads, as {"train": {"path", "sha256"}, ...} (validation and
/// test only when set in `data`). Throws fm::DataError when a file cannot be read.
nlohmann::json data_digests(const DataOptions& data);

/// Reads state.json's contents (`path` names it in errors), validating every field: counts in
/// range, best_epoch <= epochs_completed, one history entry per epoch numbered 1..E. Anything
/// else throws fm::ModelError "path: FIELD: what (corrupt checkpoint)".
TrainerState trainer_state_from_json(const nlohmann::json& j, const std::string& path);

/// state.json's contents: the state, the data files' digests and the run files' digests.
nlohmann::json trainer_state_json(const TrainerState& state, const nlohmann::json& data,
                                  const std::map<std::string, std::string>& files);

/// Refuses data files whose contents differ from the ones a checkpoint recorded (`saved`, its
/// "data"; null for fmkit 0.1 checkpoints, which only warn): fm::ConfigError "data.SPLIT: PATH is
/// not the file the run being resumed was trained on ...".
void check_same_data(const nlohmann::json& saved, const nlohmann::json& now,
                     const std::string& state_path);

/// --resume finishes a run: only training.epochs, training.threads,
/// training.early_stopping.patience (and output.dir, where the run is) may differ from the saved
/// config. Throws fm::ConfigError naming the first other JSON path that differs.
void check_resume_config(const RunConfig& now, const RunConfig& saved);

}  // namespace fm
