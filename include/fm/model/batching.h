#pragma once
/// \file
/// Tensor batches built from an EncodedDataset: padded to the batch's own longest row.

#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "fm/data/encoded.h"
#include "fm/text/padding.h"

namespace fm {

/// One mini-batch: ids [B, T] (T = longest row in the batch), lengths [B], labels [B] (or undefined).
struct Batch {
  torch::Tensor ids;
  torch::Tensor lengths;
  torch::Tensor labels;
  std::vector<int64_t> rows;  ///< dataset rows in batch order
};

/// Builds the batch for `rows`, padding with 0 on side `padding` (the model reads either side).
Batch make_batch(const EncodedDataset& data, const std::vector<int64_t>& rows,
                 PadSide padding = PadSide::kPost);

}  // namespace fm
