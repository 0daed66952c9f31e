#pragma once
/// \file
/// The training loop: epochs of Adam steps (plain, reweighed, adversarial or DP-SGD) over length-
/// aware batches, validation after each epoch, early stopping on a validation metric, a checkpoint
/// after each epoch (and on Ctrl-C), and the best weights restored at the end. The run around it
/// (data, tokenizer, run directory): fm/jobs/train.h.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/optim/adam.h>

#include "fm/config/config.h"
#include "fm/data/encoded.h"
#include "fm/model/lstm_classifier.h"
#include "fm/runs/checkpoint.h"
#include "fm/train/dp_sgd.h"
#include "fm/train/mitigation.h"

namespace fm {

/// scikit-learn's compute_class_weight("balanced") over `train`'s labels (n_samples / (n_classes ×
/// count)) when `mode` is "balanced"; an undefined tensor (no weights) otherwise.
torch::Tensor class_weights(const EncodedDataset& train, int64_t classes, const std::string& mode);

/// A model being trained, with everything that changes while it trains.
class Trainer {
 public:
  /// A fresh model and optimizer for `config` (vocabulary and classes given), writing its
  /// checkpoints and best weights into `run_dir`; `data_digests` (fm/runs/checkpoint.h) goes into
  /// every checkpoint. `fairness` must outlive the trainer.
  Trainer(const RunConfig& config, std::string run_dir, nlohmann::json data_digests,
          BiasMitigation& fairness, int64_t vocab_size, int64_t num_classes,
          const EncodedDataset& train);

  /// Continues from `state` (fm/runs/checkpoint.h's open_checkpoint): loads the checkpoint's
  /// weights, optimizer, RNG and adversary.
  void resume(const TrainerState& state);

  /// Trains from the epoch after the last completed one to `training.epochs` or early stopping,
  /// then leaves the best weights (or the last, see `early_stopping.restore_best`) in the model and
  /// in RUN/model.pt. `valid` may be empty (no validation: every epoch counts as an improvement).
  /// Throws fm::Interrupted after saving a checkpoint when SIGINT arrives.
  void train(const EncodedDataset& train, const EncodedDataset& valid,
             const std::vector<std::string>& labels);

  LstmClassifier& model() { return model_; }
  const LstmClassifier& model() const { return model_; }
  const TrainerState& state() const { return state_; }
  bool stopped_early() const { return stopped_early_; }
  /// The DP-SGD accountant's manifest section (null without DP-SGD).
  nlohmann::json privacy_json() const { return dp_.manifest_json(); }

 private:
  double train_epoch(const EncodedDataset& train, int64_t epoch);
  void validate_epoch(const EncodedDataset& valid, const std::vector<std::string>& labels,
                      EpochMetrics& m);
  bool end_epoch(const EpochMetrics& m, bool has_valid);
  void checkpoint(bool improved);

  const RunConfig& config_;
  std::string dir_;
  nlohmann::json data_digests_;
  BiasMitigation& fairness_;
  LstmClassifier model_;
  torch::optim::Adam optimizer_;
  torch::Tensor class_weights_;  // undefined = none
  PrivateTraining dp_;
  TrainerState state_;
  bool stopped_early_ = false;
};

}  // namespace fm
