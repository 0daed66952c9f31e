#pragma once
/// \file
/// Training hyper-parameters (config section "training"). No torch include.

#include <cstdint>
#include <string>

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
};

/// Where results go (config section "output").
struct OutputOptions {
  /// Run directory written by fm-train.
  std::string dir = "runs/default";
};

}  // namespace fm
