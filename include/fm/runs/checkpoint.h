#pragma once
/// \file
/// The training checkpoint: everything `fm-train --resume` needs to finish a run exactly where it
/// stopped, in the run's `checkpoint/` folder. Format version kCheckpointFormatVersion:
///
///   model.pt      weights after the last completed epoch (state dict, like the run's model.pt)
///   best.pt       the best weights so far (early stopping restores them at the end)
///   optimizer.pt  Adam's state (torch::save of the optimizer)
///   rng.pt        LibTorch's default CPU generator (dropout draws), pickled
///   adversary.pt, adversary_optimizer.pt   when training.fairness.adversarial is on
///   state.json    written last — a checkpoint counts only once state.json names it complete:
///     {"format_version": 2, "epochs_completed": E, "best_epoch": B, "best_score": S | null,
///      "bad_epochs": K, "history": [one metrics.jsonl object per epoch],
///      "data": {"train": {"path", "sha256"}, "validation": ..., "test": ...},
///      "files": {"model.pt": SHA-256, "checkpoint/optimizer.pt": ..., ...}}
///     "data" holds the data files the run was started with (--resume refuses others);
///     "files" the other files of the checkpoint and the run's config.json, tokenizer.json and
///     labels.json, checked before resuming.
///
/// A checkpoint is written whole into checkpoint.next/ and replaces checkpoint/ in one rename, so
/// a crash (kill -9, power loss) leaves the previous checkpoint or the new one, never a mix.
/// Version 1 (fmkit 0.1) had no best.pt (the best weights were the run's model.pt), "data" and
/// "files": it loads with a warning, unchecked.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/optim/adam.h>

#include "fm/config/config.h"
#include "fm/model/lstm_classifier.h"

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

/// Writes a new checkpoint of `run_dir`: `save_extra(dir)` first lets other modules write their
/// files into it (the adversary's), then weights, best weights (the current ones when `improved`,
/// else the previous checkpoint's), optimizer, RNG, and state.json with `data` (data_digests) and
/// the digests; then it replaces the previous checkpoint.
void save_checkpoint(const std::string& run_dir, LstmClassifier& model,
                     torch::optim::Adam& optimizer, const TrainerState& state,
                     const nlohmann::json& data, bool improved,
                     const std::function<void(const std::string&)>& save_extra);

/// The best weights saved so far in `run_dir`: checkpoint/best.pt (the run's model.pt for
/// checkpoints of fmkit 0.1).
std::string best_weights_path(const std::string& run_dir);

/// Opens the checkpoint of `run_dir` for --resume: every file of the run directory is checked
/// against state.json's digests and every field of state.json is validated (fm::ModelError naming
/// the file), before anything is used. `data` (data_digests of the config being resumed) must
/// equal the checkpoint's: a changed data file is fm::ConfigError (exit 2) naming it, since
/// resuming on other data would mix two trainings under one manifest.
TrainerState open_checkpoint(const std::string& run_dir, const nlohmann::json& data);

/// Loads the checkpoint's weights into `model` and state into `optimizer`, and restores the RNG
/// (after open_checkpoint). Corrupt files throw fm::ModelError.
void restore_checkpoint(const std::string& run_dir, LstmClassifier& model,
                        torch::optim::Adam& optimizer);

/// --resume finishes a run: only training.epochs, training.threads,
/// training.early_stopping.patience (and output.dir, where the run is) may differ from the saved
/// config. Throws fm::ConfigError naming the first other JSON path that differs.
void check_resume_config(const RunConfig& now, const RunConfig& saved);

}  // namespace fm
