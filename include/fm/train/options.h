#pragma once
/// \file
/// Training hyper-parameters (config section "training"). No torch include.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fm {

/// Early stopping on a validation metric (config "training.early_stopping").
struct EarlyStoppingOptions {
  /// Validation metric to monitor: "macro_f1", "accuracy", "weighted_f1" (higher is better) or
  /// "loss" (lower is better).
  std::string metric = "macro_f1";
  /// Epochs without improvement before stopping; 0 disables early stopping.
  int64_t patience = 2;
  /// Minimum change that counts as an improvement.
  double min_delta = 0.0;
  /// Restore the best epoch's weights at the end of training.
  bool restore_best = true;
};

/// Adversarial debiasing (Zhang, Lemoine & Mitchell 2018), config "training.fairness.adversarial".
struct AdversarialOptions {
  bool enabled = false;
  /// Weight of the adversary's gradient subtracted from the classifier's update (their α).
  double alpha = 1.0;
  /// Hidden units of the adversary (0 = a linear adversary, as in the paper).
  int64_t hidden_size = 0;
  /// "equalized_odds": the adversary sees the classifier's output and the true label;
  /// "demographic_parity": the output only.
  std::string criterion = "equalized_odds";
  /// Adam learning rate of the adversary.
  double learning_rate = 1e-3;
};

/// Counterfactual data augmentation, config "training.fairness.augmentation".
struct AugmentationOptions {
  bool enabled = false;
  /// Identity-term categories whose terms are swapped (names of the audit's identity-term list);
  /// empty = every category.
  std::vector<std::string> categories;
  /// Identity-term list, JSON `{"category": ["term", ...]}` (as fm-audit's counterfactual_terms);
  /// "" = the built-in list (fm/fairness/identity_terms.h).
  std::string terms;
  /// Most copies per training example; an example with more candidates gets a seeded sample of
  /// them (training.seed). 0 = no cap. 16 keeps every swap of one term of the built-in list
  /// (its largest category has 12 terms).
  int64_t max_copies = 16;
};

/// Post-processing per-group thresholds (Hardt et al. 2016), config "training.fairness.thresholds".
struct ThresholdOptions {
  /// "none", "demographic_parity" or "equalized_odds"; chosen on the validation set.
  std::string objective = "none";
  /// Class treated as positive; empty = the second label of a binary task (as fm-audit).
  std::string positive_label;
};

/// Bias mitigation (config "training.fairness").
struct FairnessOptions {
  /// The data.group_columns entry the mitigations are defined over (required by any of them).
  std::string group_column;
  /// Kamiran & Calders reweighing: example weight P(g)·P(y) / P(g, y) in the loss.
  bool reweighing = false;
  AugmentationOptions augmentation;
  AdversarialOptions adversarial;
  ThresholdOptions thresholds;
};

/// DP-SGD (Abadi et al. 2016, Opacus semantics), config "training.privacy".
struct PrivacyOptions {
  bool enabled = false;
  /// σ: Gaussian noise standard deviation as a multiple of max_grad_norm.
  double noise_multiplier = 1.0;
  /// C: per-example gradient L2 norm bound (all parameters, flattened).
  double max_grad_norm = 1.0;
  /// δ of the reported (ε, δ) guarantee.
  double delta = 1e-5;
  /// When set, noise_multiplier is solved so that the configured epochs spend exactly this ε.
  std::optional<double> target_epsilon;
};

/// Optimisation settings.
struct TrainOptions {
  /// Passes over the training data.
  int64_t epochs = 10;
  /// Examples per gradient step.
  int64_t batch_size = 64;
  /// Adam learning rate.
  double learning_rate = 1e-3;
  /// Adam (L2) weight decay.
  double weight_decay = 0.0;
  /// Clip the global gradient L2 norm to this value; 0 disables clipping.
  double clip_grad_norm = 1.0;
  /// "none" or "balanced" (sklearn: n_samples / (n_classes * count(class))) cross-entropy weights.
  std::string class_weight = "none";
  /// Seed for weights, shuffling, dropout and splits.
  uint64_t seed = 13;
  /// CPU threads for LibTorch; 0 = all cores.
  int64_t threads = 0;
  /// Group batches by length (shuffled buckets) so little padding is computed.
  bool bucket_by_length = true;
  EarlyStoppingOptions early_stopping;
  /// "none" or "temperature": fit one softmax temperature on the validation set after training.
  std::string calibrate = "none";
  FairnessOptions fairness;
  PrivacyOptions privacy;
};

/// Where results go (config section "output").
struct OutputOptions {
  /// Run directory written by fm-train.
  std::string dir = "runs/default";
};

}  // namespace fm
