#pragma once
/// \file
/// Hyper-parameters of LstmClassifier (config section "model"). No torch include.

#include <cstdint>

namespace fm {

/// Embedding → stacked (bi)LSTM → Linear. Names follow torch::nn::LSTMOptions where they overlap.
struct ModelOptions {
  /// Size of each token embedding.
  int64_t embedding_dim = 128;
  /// LSTM hidden units per direction.
  int64_t hidden_size = 128;
  /// Number of stacked LSTM layers.
  int64_t num_layers = 2;
  /// Run a second LSTM right-to-left and concatenate both final states.
  bool bidirectional = false;
  /// Dropout probability between LSTM layers and before the output layer, in [0, 1).
  double dropout = 0.2;
};

}  // namespace fm
