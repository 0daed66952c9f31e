#pragma once
/// \file
/// In-training bias mitigation (config "training.fairness"), as the trainer uses it:
///  - counterfactual data augmentation of the training split (fm/fairness/augmentation.h),
///  - reweighing (fm/fairness/reweighing.h) as per-example loss weights,
///  - adversarial debiasing (fm/train/adversary.h).
/// Each is off unless configured; with all off, loss() and backward() are exactly the plain
/// (class-weighted) cross-entropy and loss.backward().

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include "fm/data/dataset.h"
#include "fm/mitigation/augmentation.h"
#include "fm/mitigation/reweighing.h"
#include "fm/model/batching.h"
#include "fm/model/lstm_classifier.h"
#include "fm/text/tokenizer.h"
#include "fm/train/adversary.h"
#include "fm/train/options.h"

namespace fm {

/// The mitigations of one training run. Call order: augment() on the training split (after the
/// validation split and redaction, before the tokenizer is fitted: the copies are training data
/// like any other, so their words enter the vocabulary), then prepare() on the same split, then
/// loss()/backward() per batch.
class BiasMitigation {
 public:
  /// `group_columns` = data.group_columns (training.fairness.group_column is one of them).
  BiasMitigation(const FairnessOptions& options, std::vector<std::string> group_columns);

  /// Counterfactual augmentation (when enabled): appends copies to `train`. The validation and
  /// test data are never augmented. Seeded by `seed` (training.seed) where the cap samples.
  void augment(Dataset& train, const TokenizerOptions& tokenizer, uint64_t seed);

  /// Reads each training row's group and computes the reweighing table (when enabled) and sets up
  /// the adversary (when enabled) for `num_classes` outputs. Throws fm::DataError when the group
  /// column has a single value in `train` and the adversary is enabled.
  void prepare(const Dataset& train, int64_t num_classes);

  /// Per-example loss weights of `batch` [B] (float): reweighing weight × class weight (when
  /// `class_weights` is defined, indexed by label). Undefined when neither applies.
  torch::Tensor example_weights(const Batch& batch, const torch::Tensor& class_weights) const;

  /// The batch's classifier loss. Without reweighing: cross-entropy with `class_weights` (if
  /// defined), PyTorch's mean (Σ c_{y_i} ℓ_i / Σ c_{y_i}). With reweighing: Σ w_i ℓ_i / Σ w_i with
  /// w_i = reweighing weight × class weight of row i — the same normalisation as PyTorch's
  /// weighted mean, so a batch's loss stays on the scale of an unweighted one and the learning
  /// rate keeps its meaning.
  torch::Tensor loss(const torch::Tensor& logits, const Batch& batch,
                     const torch::Tensor& class_weights) const;

  /// Fills the gradients of `model`'s parameters for `loss`: loss.backward(), or with the
  /// adversary the debiased gradient (and one adversary step).
  void backward(LstmClassifier& model, const torch::Tensor& loss, const torch::Tensor& logits,
                const Batch& batch);

  /// Adversary state into / from a checkpoint directory (nothing without an adversary). load()
  /// returns false when the checkpoint has no adversary state (the adversary starts afresh).
  void save(const std::string& checkpoint_dir);
  bool load(const std::string& checkpoint_dir);

  /// True when any in-training mitigation is enabled.
  bool active() const;

  /// manifest.json "fairness" entries: group_column, reweighing (table), augmentation (counts),
  /// adversarial (settings, groups, last epoch's mean adversary loss against the group entropy).
  /// An empty object when nothing is enabled.
  nlohmann::json manifest_json() const;

 private:
  FairnessOptions options_;
  std::vector<std::string> group_columns_;
  std::optional<AugmentationCounts> augmentation_;
  std::vector<std::string> augmentation_categories_;
  std::optional<Reweighing> reweighing_;
  torch::Tensor row_weights_;  // [rows] float, reweighing
  torch::Tensor row_groups_;   // [rows] int64, index into groups_
  std::vector<std::string> groups_;
  double group_entropy_ = 0.0;  // −Σ p_g ln p_g over training rows: a label-blind adversary's loss
  std::unique_ptr<AdversarialDebiaser> adversary_;
  int64_t train_rows_ = 0;
  double epoch_adversary_loss_ = 0.0;  // running Σ L_A·B over the current epoch
  int64_t epoch_rows_ = 0;
  int64_t epochs_seen_ = 0;
  std::optional<double> last_epoch_adversary_loss_;
};

}  // namespace fm
