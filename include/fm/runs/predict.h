#pragma once
/// \file
/// Batched inference over an encoded dataset.

#include <cstdint>
#include <vector>

#include "fm/data/encoded.h"
#include "fm/model/lstm_classifier.h"

namespace fm {

/// Class probabilities (softmax of the logits) and arg-max predictions, in dataset row order.
struct Predictions {
  int64_t num_classes = 0;
  std::vector<float> probabilities;  ///< rows * num_classes, row-major
  std::vector<int64_t> predicted;    ///< arg-max class index per row (first on ties)
  std::vector<float> loss;           ///< per-row cross-entropy when the data has labels, else empty
};

/// Runs `model` in inference mode over `data`, in length-sorted batches of `batch_size`.
Predictions predict(LstmClassifier& model, const EncodedDataset& data, int64_t batch_size = 256);

}  // namespace fm
