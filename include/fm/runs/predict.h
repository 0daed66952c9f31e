#pragma once
/// \file
/// Batched inference over an encoded dataset.

#include <cstdint>
#include <vector>

#include "fm/data/encoded.h"
#include "fm/eval/evaluation.h"
#include "fm/model/lstm_classifier.h"

namespace fm {

/// Runs `model` in inference mode over `data`, in length-sorted batches of `batch_size`.
Predictions predict(LstmClassifier& model, const EncodedDataset& data, int64_t batch_size = 256);

}  // namespace fm
