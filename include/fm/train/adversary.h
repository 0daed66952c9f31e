#pragma once
/// \file
/// Adversarial debiasing (Zhang, Lemoine & Mitchell 2018, "Mitigating Unwanted Biases with
/// Adversarial Learning"; AIF360 `AdversarialDebiasing`): an adversary learns to predict the group
/// from the classifier's output, and the classifier is updated with
///
///     g = ∇L_P − proj_{∇L_A} ∇L_P − α ∇L_A,   proj_a b = (⟨b, a⟩ / ⟨a, a⟩) a  (0 when a = 0)
///
/// where L_P is the classifier's loss, L_A the adversary's (cross-entropy of the group), and the
/// gradients are taken with respect to the classifier's parameters. The projection term removes
/// the part of the classifier's step that would help the adversary; −α ∇L_A moves against it.
///
/// Projection: over all classifier parameters flattened into one vector, as in the paper's
/// update rule. (AIF360 projects each parameter tensor separately; the flattened projection is the
/// one whose result is orthogonal to the whole ∇L_A, which is what the paper's argument needs.)
///
/// Adversary input: the classifier's softmax probabilities [B, K]; for the "equalized_odds"
/// criterion concatenated with the one-hot true label [B, K] (the paper gives the adversary the
/// label so that it can only use what the prediction says beyond the label); for
/// "demographic_parity" the probabilities only. The adversary is Linear(in, G) when hidden_size is
/// 0, else Linear(in, H) → ReLU → Linear(H, G), G = number of groups. It is trained with its own
/// Adam (AdversarialOptions::learning_rate) on L_A, on the same batches.

#include <cstdint>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/optim/adam.h>

#include "fm/train/options.h"

namespace fm {

/// The adversary network: group logits from the classifier's output.
class AdversaryImpl : public torch::nn::Module {
 public:
  /// `num_classes` K of the classifier, `num_groups` G; `criterion` and `hidden_size` from
  /// AdversarialOptions.
  AdversaryImpl(int64_t num_classes, int64_t num_groups, const std::string& criterion,
                int64_t hidden_size);

  /// Group logits [B, G] from class probabilities [B, K] and true labels [B] (int64; ignored for
  /// demographic parity).
  torch::Tensor forward(const torch::Tensor& probabilities, const torch::Tensor& labels);

  int64_t input_size() const { return input_size_; }
  /// The output layer (its bias holds the group log-priors after AdversarialDebiaser's set-up).
  torch::nn::Linear& output_layer() { return out_; }

 private:
  int64_t num_classes_;
  bool with_label_;
  int64_t input_size_;
  torch::nn::Linear hidden_{nullptr};
  torch::nn::Linear out_{nullptr};
};
TORCH_MODULE(Adversary);

/// The classifier's debiased gradient g = gp − proj_{ga} gp − α·ga, per parameter tensor, with the
/// projection over all tensors flattened together. `gp` and `ga` hold one tensor per parameter
/// (same shapes; an undefined tensor counts as zeros). Returns one defined tensor per parameter.
std::vector<torch::Tensor> debiased_gradient(const std::vector<torch::Tensor>& gp,
                                             const std::vector<torch::Tensor>& ga, double alpha);

/// Losses of one adversarial step.
struct AdversarialStepLosses {
  double classifier = 0.0;  ///< L_P
  double adversary = 0.0;   ///< L_A before the adversary's update
};

/// Owns the adversary and its optimizer and performs the joint update of one batch.
class AdversarialDebiaser {
 public:
  /// Adversary for a classifier with `num_classes` outputs and `num_groups` groups (≥ 2). When
  /// `group_frequencies` (one count per group) is given, the output bias starts at the log of the
  /// groups' shares, so the adversary starts as the best label-blind guess (loss = the group
  /// entropy) instead of a random one whose gradient would push the classifier at random.
  AdversarialDebiaser(const AdversarialOptions& options, int64_t num_classes, int64_t num_groups,
                      const std::vector<double>& group_frequencies = {});

  /// Sets `.grad()` of every tensor in `classifier_params` to the debiased gradient of
  /// `classifier_loss` (computed from `logits`, which must depend on those parameters) and takes
  /// one Adam step of the adversary on L_A(softmax(logits), labels → groups). The caller then
  /// clips and steps the classifier's optimizer as usual.
  AdversarialStepLosses backward(const std::vector<torch::Tensor>& classifier_params,
                                 const torch::Tensor& classifier_loss, const torch::Tensor& logits,
                                 const torch::Tensor& labels, const torch::Tensor& groups);

  /// Adversary weights and optimizer state into `dir` (adversary.pt, adversary_optimizer.pt).
  void save(const std::string& dir);
  /// Restores what save() wrote; returns false (and keeps the fresh adversary) when `dir` has none.
  bool load(const std::string& dir);

  Adversary& adversary() { return adversary_; }
  const AdversarialOptions& options() const { return options_; }

 private:
  AdversarialOptions options_;
  Adversary adversary_;
  torch::optim::Adam optimizer_;
};

}  // namespace fm
