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

#include "fm/model/options.h"
#include "fm/text/padding.h"

namespace fm {

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

  const ModelOptions& options() const { return options_; }
  int64_t vocab_size() const { return vocab_size_; }
  int64_t num_classes() const { return num_classes_; }

 private:
  /// The four PyTorch-named parameters of one layer and direction, looked up by name so that
  /// moving the module to another device keeps working.
  std::vector<torch::Tensor> layer_params(int64_t layer, bool reverse) const;

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
