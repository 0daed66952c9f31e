#pragma once
/// \file
/// DP-SGD (Abadi et al. 2016) with Opacus's semantics: per-example gradients clipped to an L2 norm
/// C over all parameters (flattened), summed, Gaussian noise N(0, (σC)²) added to every
/// coordinate, divided by the *expected* batch size q·N (batches come from Poisson sampling).
///
/// Per-example gradients are vectorised, not a loop of batch-size-1 backward passes: one forward
/// and one backward pass of the batch, with the LSTM kernel leaving its per-step gate gradients
/// dG (fm/model/lstm_kernel.h) — per-example weight gradients are then batched GEMMs over each
/// sequence's steps (as Opacus's DPLSTM computes them from its per-step activations), the output
/// layer's is an outer product, and the embedding's per-example norm is exact: the gradient rows of
/// a sequence's repeated tokens are summed per token before the norm is taken.

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include "fm/model/batching.h"
#include "fm/model/lstm_classifier.h"
#include "fm/privacy/accountant.h"
#include "fm/train/options.h"

namespace fm {

/// Per-example gradients of the (optionally class- or example-weighted) cross-entropy of each
/// batch row, materialised for every parameter: name → [B, ...parameter shape], batch row order.
/// Memory grows with B × parameters (the embedding included): for tests and small models.
std::map<std::string, torch::Tensor> per_example_gradients(LstmClassifier& model,
                                                           const Batch& batch,
                                                           const torch::Tensor& class_weights = {},
                                                           const torch::Tensor& row_weights = {});

/// What one DP-SGD gradient computation saw.
struct DpStepStats {
  torch::Tensor norms;  ///< [B] per-example gradient L2 norms before clipping, batch row order
  double loss_sum = 0;  ///< Σ of the (weighted) per-example losses
  int64_t rows = 0;
};

/// Computes the DP-SGD gradient of `batch` into every parameter's grad(): Σ_b clip_C(g_b) +
/// N(0, σ²C²) noise, divided by `expected_batch_size`. An empty batch (Poisson sampling can draw
/// one) gives noise only. `class_weights` [K] and `row_weights` [B] (optional) weight each
/// example's loss. Noise comes from LibTorch's default generator (seeded by training.seed; not a
/// cryptographically secure source).
DpStepStats dp_sgd_gradient(LstmClassifier& model, const Batch* batch, double max_grad_norm,
                            double noise_multiplier, double expected_batch_size,
                            const torch::Tensor& class_weights = {},
                            const torch::Tensor& row_weights = {});

/// Poisson sampling (Opacus's UniformWithReplacementSampler): `steps` batches, each holding every
/// row of [0, n) independently with probability `sample_rate`. Seeded, so a seed gives the same
/// batches everywhere.
std::vector<std::vector<int64_t>> poisson_batches(int64_t n, double sample_rate, int64_t steps,
                                                  uint64_t seed);

/// DP-SGD for one training run (config "training.privacy"): the sampling plan, the noise
/// multiplier (given, or solved for training.privacy.target_epsilon over the configured epochs)
/// and the RDP accountant. As Opacus's DPDataLoader: an epoch is ⌈N / batch_size⌉ steps, each a
/// Poisson sample at rate q = 1 / steps, so the expected batch is q·N ≈ batch_size.
class PrivateTraining {
 public:
  /// Disabled (every call a no-op) unless options.enabled.
  PrivateTraining(const PrivacyOptions& options, int64_t train_rows, int64_t batch_size,
                  int64_t epochs);
  bool enabled() const { return options_.enabled; }
  /// Accounts for epochs already trained (--resume).
  void resume(int64_t epochs_completed);
  /// The Poisson-sampled batches of `epoch` (seeded by `seed` and the epoch).
  std::vector<std::vector<int64_t>> epoch_batches(int64_t epoch, uint64_t seed) const;
  /// The private gradient of one sampled batch (possibly empty) into the model's grads.
  DpStepStats gradient(LstmClassifier& model, const Batch& batch,
                       const torch::Tensor& class_weights, const torch::Tensor& row_weights) const;
  /// Records one finished epoch of steps with the accountant.
  void end_epoch();
  /// ε spent so far at training.privacy.delta.
  double epsilon() const;
  double noise_multiplier() const { return sigma_; }
  /// manifest.json "privacy": mechanism, σ, C, q, expected batch, steps, ε, δ, order, scope.
  nlohmann::json manifest_json() const;

 private:
  PrivacyOptions options_;
  int64_t rows_ = 0;
  int64_t steps_per_epoch_ = 0;
  double q_ = 0;
  double sigma_ = 0;
  privacy::RdpAccountant accountant_;
};

}  // namespace fm
