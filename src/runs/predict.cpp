#include "fm/runs/predict.h"

#include <torch/torch.h>

#include "fm/model/batching.h"

namespace fm {

Predictions predict(LstmClassifier& model, const EncodedDataset& data, int64_t batch_size) {
  torch::InferenceMode inference;
  const bool was_training = model->is_training();
  model->eval();
  Predictions out;
  out.num_classes = model->num_classes();
  const auto n = data.size();
  const auto k = out.num_classes;
  out.probabilities.assign(static_cast<std::size_t>(n * k), 0.0f);
  out.predicted.assign(static_cast<std::size_t>(n), 0);
  const bool labelled = n > 0 && data.labels[0] >= 0;
  if (labelled) out.loss.assign(static_cast<std::size_t>(n), 0.0f);
  for (const auto& rows : plan_batches(data, batch_size, /*shuffle=*/false, true, 0)) {
    auto batch = make_batch(data, rows);
    auto logits = model->forward(batch.ids, batch.lengths);
    auto log_probs = torch::log_softmax(logits, 1).contiguous();
    auto probs = log_probs.exp().contiguous();
    auto argmax = probs.argmax(1).contiguous();
    const float* p = probs.data_ptr<float>();
    const float* lp = log_probs.data_ptr<float>();
    const int64_t* a = argmax.data_ptr<int64_t>();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto r = static_cast<std::size_t>(rows[i]);
      std::copy(p + i * k, p + (i + 1) * k, out.probabilities.begin() + r * k);
      out.predicted[r] = a[i];
      if (labelled) out.loss[r] = -lp[i * k + data.labels[r]];
    }
  }
  if (was_training) model->train();
  return out;
}

}  // namespace fm
