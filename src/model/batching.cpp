#include "fm/model/batching.h"

#include <algorithm>
#include <cstring>

#include <torch/torch.h>

namespace fm {

Batch make_batch(const EncodedDataset& data, const std::vector<int64_t>& rows, PadSide padding) {
  const auto b = static_cast<int64_t>(rows.size());
  int64_t steps = 1;
  for (auto r : rows) steps = std::max(steps, data.length(r));
  Batch batch;
  batch.rows = rows;
  batch.ids = torch::zeros({b, steps}, torch::kLong);
  batch.lengths = torch::empty({b}, torch::kLong);
  auto* ids = batch.ids.data_ptr<int64_t>();
  auto* lens = batch.lengths.data_ptr<int64_t>();
  const bool labelled = !data.labels.empty() && data.labels[rows.empty() ? 0 : rows[0]] >= 0;
  if (labelled) batch.labels = torch::empty({b}, torch::kLong);
  for (int64_t i = 0; i < b; ++i) {
    const auto r = rows[static_cast<std::size_t>(i)];
    const auto n = data.length(r);
    const auto offset = padding == PadSide::kPost ? 0 : steps - n;
    std::memcpy(ids + i * steps + offset, data.tokens.data() + data.offsets[r],
                static_cast<std::size_t>(n) * sizeof(int64_t));
    lens[i] = n;
    if (labelled) batch.labels.data_ptr<int64_t>()[i] = data.labels[r];
  }
  return batch;
}

}  // namespace fm
