#pragma once
/// \file
/// LstmClassifier: Embedding (padding index 0) → stacked, optionally bidirectional LSTM → Linear.
/// Length-aware: each sequence is read only up to its true length, so padding (pre or post, any
/// amount) never changes the logits.

#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <memory>
#include <vector>

#include "fm/model/lstm_kernel.h"
#include "fm/model/options.h"
#include "fm/text/padding.h"

namespace fm {

/// What a forward pass leaves for per-example gradients (DP-SGD). Sequences are in the packed
/// (length-sorted) order: sorted sequence r is batch row `order[r]`.
struct ForwardTrace {
  PackedLayout layout;
  torch::Tensor order;            ///< [B] batch row of each sorted sequence
  torch::Tensor packed_ids;       ///< [N] token id of each packed row
  torch::Tensor row_sequence;     ///< [N] sorted sequence index of each packed row
  torch::Tensor embedded;         ///< [N, E] embedding output (differentiable)
  torch::Tensor features;         ///< [B, F] input of `fc` (after dropout), sorted order
  /// One capture per LSTM layer and direction, with the parameter-name suffix it belongs to
  /// ("_l0", "_l0_reverse", ...).
  std::vector<std::pair<std::string, c10::intrusive_ptr<LstmCapture>>> captures;
};

/// Number of parameters of an LstmClassifier (embedding, every LSTM layer and direction, the
/// output layer), computed from the sizes alone (before anything is allocated), in double so that
/// absurd sizes do not overflow.
double lstm_classifier_parameters(const ModelOptions& options, int64_t vocab_size,
                                  int64_t num_classes);

/// Refuses a model that cannot fit in this machine's memory before any allocation: fm::ConfigError
/// "model: N parameters (E embedding dims × V words, H hidden × L layers) need X GiB for `purpose`,
/// more than this machine's Y GiB (model.embedding_dim, model.hidden_size, model.num_layers,
/// tokenizer.num_words)". `bytes_per_parameter` is 4 to hold the weights, 16 to train them with
/// Adam (weights, gradients, two moments).
void check_model_fits(const ModelOptions& options, int64_t vocab_size, int64_t num_classes,
                      double bytes_per_parameter, const std::string& purpose);

/// Parameter names follow PyTorch (`embedding.weight`, `lstm.weight_ih_l0`, `lstm.bias_hh_l1_reverse`,
/// `fc.weight`…), so a state dict loads into `nn.Embedding`/`nn.LSTM(batch_first=True)`/`nn.Linear`.
class LstmClassifierImpl : public torch::nn::Module {
 public:
  /// `vocab_size` embedding rows (row 0 is padding and stays zero), `num_classes` outputs.
  LstmClassifierImpl(const ModelOptions& options, int64_t vocab_size, int64_t num_classes);

  /// Logits [B, num_classes] for token ids [B, T] (int64) with true lengths [B] (int64, CPU).
  /// `padding` says where each row's padding is: kPost = tokens first (the fast path), kPre = tokens
  /// last (rows are left-aligned internally). Lengths of 0 are treated as one padding token.
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& lengths,
                        PadSide padding = PadSide::kPost);

  /// forward() that also fills `trace` (CPU float32 only) for per-example gradients.
  torch::Tensor forward_traced(const torch::Tensor& ids, const torch::Tensor& lengths,
                               PadSide padding, ForwardTrace& trace);

  /// Runs LibTorch's own LSTM (padded batch, autograd per step) instead of fmkit's packed kernel:
  /// the path for non-CPU devices, kept selectable for tests and benchmarks.
  void set_reference_lstm(bool on) { reference_lstm_ = on; }

  /// The four PyTorch-named parameters of one layer and direction (w_ih, w_hh, b_ih, b_hh).
  std::vector<torch::Tensor> layer_params(int64_t layer, bool reverse) const;

  const ModelOptions& options() const { return options_; }
  int64_t vocab_size() const { return vocab_size_; }
  int64_t num_classes() const { return num_classes_; }

 private:
  torch::Tensor forward_packed(const torch::Tensor& ids, const torch::Tensor& lengths,
                               PadSide padding, ForwardTrace* trace);
  torch::Tensor forward_reference(const torch::Tensor& ids, const torch::Tensor& lengths,
                                  PadSide padding);

  bool reference_lstm_ = false;
  ModelOptions options_;
  int64_t vocab_size_;
  int64_t num_classes_;
  torch::nn::Embedding embedding_{nullptr};
  std::shared_ptr<torch::nn::Module> lstm_;  // holds weight_ih_l0, ..., as nn.LSTM names them
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear fc_{nullptr};
};
TORCH_MODULE(LstmClassifier);

}  // namespace fm
