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
#include "fm/runs/trainer_state.h"

namespace fm {

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

}  // namespace fm
