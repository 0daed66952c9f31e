#include "fm/train/dp_sgd.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "fm/log.h"

namespace fm {
namespace {

/// Everything per-example gradients are built from, for one batch (sequences in sorted order).
struct PerExampleParts {
  ForwardTrace trace;
  torch::Tensor losses;  ///< [B] per-example losses, batch order
  /// Materialised per-example gradients [B, ...shape] (sorted order) of every parameter but the
  /// embedding, by parameter name.
  std::map<std::string, torch::Tensor> dense;
  torch::Tensor d_embedded;  ///< [N, E] gradient reaching each packed embedding row
};

/// Scatters packed rows [N, D] into a padded [B, T, D] tensor (zeros past each sequence's end).
torch::Tensor to_padded(const torch::Tensor& packed, const torch::Tensor& padded_index,
                        int64_t sequences, int64_t steps) {
  auto out = torch::zeros({sequences * steps, packed.size(1)}, packed.options());
  out.index_copy_(0, padded_index, packed);
  return out.view({sequences, steps, packed.size(1)});
}

PerExampleParts per_example_parts(LstmClassifier& model, const Batch& batch,
                                  const torch::Tensor& class_weights,
                                  const torch::Tensor& row_weights) {
  PerExampleParts parts;
  auto& trace = parts.trace;
  auto logits = model->forward_traced(batch.ids, batch.lengths, PadSide::kPost, trace);
  namespace F = torch::nn::functional;
  auto ce = F::CrossEntropyFuncOptions().reduction(torch::kNone);
  if (class_weights.defined()) ce.weight(class_weights);
  auto losses = F::cross_entropy(logits, batch.labels, ce);
  if (row_weights.defined()) losses = losses * row_weights;
  // The batch loss is the sum of independent per-example losses, so the gradient reaching each
  // example's own activations is that example's gradient.
  auto grads = torch::autograd::grad({losses.sum()}, {logits, trace.embedded});
  parts.losses = losses.detach();
  parts.d_embedded = grads[1];
  auto d_logits = grads[0].index_select(0, trace.order);  // sorted order
  const auto& f = trace.features.detach();
  parts.dense["fc.weight"] = d_logits.unsqueeze(2) * f.unsqueeze(1);
  parts.dense["fc.bias"] = d_logits;

  const auto& layout = trace.layout;
  const int64_t b = layout.sequences();
  const int64_t steps = layout.steps();
  // Padded position (sequence, step) of each packed row.
  auto padded_index = torch::empty({layout.total}, torch::kLong);
  {
    int64_t* p = padded_index.data_ptr<int64_t>();
    for (int64_t t = 0; t < steps; ++t) {
      const auto off = layout.offsets[static_cast<std::size_t>(t)];
      for (int64_t r = 0; r < layout.batch_sizes[static_cast<std::size_t>(t)]; ++r) {
        p[off + r] = r * steps + t;
      }
    }
  }
  for (const auto& [suffix, capture] : trace.captures) {
    auto dg = to_padded(capture->d_gates, padded_index, b, steps).transpose(1, 2);  // [B, 4H, T]
    auto x = to_padded(capture->input, padded_index, b, steps);                      // [B, T, I]
    auto hp = to_padded(capture->h_prev, padded_index, b, steps);                    // [B, T, H]
    parts.dense["lstm.weight_ih" + suffix] = torch::bmm(dg, x);
    parts.dense["lstm.weight_hh" + suffix] = torch::bmm(dg, hp);
    auto db = dg.sum(2);
    parts.dense["lstm.bias_ih" + suffix] = db;
    parts.dense["lstm.bias_hh" + suffix] = db;
  }
  return parts;
}

/// [B] squared L2 norm of each sequence's embedding gradient: rows of the same token in one
/// sequence are summed first (they update the same embedding row); token 0 (padding) gets none.
torch::Tensor embedding_sq_norms(const PerExampleParts& parts, int64_t vocab) {
  const auto& trace = parts.trace;
  const int64_t b = trace.layout.sequences();
  auto keys = trace.row_sequence * vocab + trace.packed_ids;
  auto [unique, inverse] = torch::_unique(keys, /*sorted=*/false, /*return_inverse=*/true);
  auto summed = torch::zeros({unique.size(0), parts.d_embedded.size(1)}, parts.d_embedded.options());
  summed.index_add_(0, inverse, parts.d_embedded);
  auto sq = summed.pow(2).sum(1) * (unique.remainder(vocab) != 0).to(summed.scalar_type());
  return torch::zeros({b}, summed.options()).index_add_(0, torch::div(unique, vocab, "floor"), sq);
}

torch::Tensor batch_order(const ForwardTrace& trace) {
  auto unsort = torch::empty_like(trace.order);
  unsort.index_put_({trace.order}, torch::arange(trace.order.size(0), torch::kLong));
  return unsort;
}

}  // namespace

std::map<std::string, torch::Tensor> per_example_gradients(LstmClassifier& model,
                                                           const Batch& batch,
                                                           const torch::Tensor& class_weights,
                                                           const torch::Tensor& row_weights) {
  auto parts = per_example_parts(model, batch, class_weights, row_weights);
  const auto& trace = parts.trace;
  const int64_t b = trace.layout.sequences();
  const int64_t vocab = model->vocab_size();
  auto emb = torch::zeros({b * vocab, parts.d_embedded.size(1)}, parts.d_embedded.options());
  emb.index_add_(0, trace.row_sequence * vocab + trace.packed_ids, parts.d_embedded);
  emb = emb.view({b, vocab, -1});
  emb.select(1, 0).zero_();
  const auto unsort = batch_order(trace);
  std::map<std::string, torch::Tensor> out;
  out["embedding.weight"] = emb.index_select(0, unsort);
  for (auto& [name, g] : parts.dense) out[name] = g.index_select(0, unsort);
  return out;
}

DpStepStats dp_sgd_gradient(LstmClassifier& model, const Batch* batch, double max_grad_norm,
                            double noise_multiplier, double expected_batch_size,
                            const torch::Tensor& class_weights, const torch::Tensor& row_weights) {
  DpStepStats stats;
  auto params = model->named_parameters();
  {
    torch::NoGradGuard no_grad;
    for (auto& p : params) {
      auto& g = p.value().mutable_grad();
      if (g.defined()) g.zero_(); else g = torch::zeros_like(p.value());
    }
  }
  if (batch && !batch->rows.empty()) {
    auto parts = per_example_parts(model, *batch, class_weights, row_weights);
    torch::NoGradGuard no_grad;
    const int64_t b = parts.trace.layout.sequences();
    auto sq = embedding_sq_norms(parts, model->vocab_size());
    for (const auto& [name, g] : parts.dense) sq = sq + g.reshape({b, -1}).pow(2).sum(1);
    auto norms = sq.sqrt();
    // Opacus: factor = min(1, C / (norm + 1e-6)).
    auto factor = (max_grad_norm / (norms + 1e-6)).clamp_max(1.0);
    for (const auto& [name, g] : parts.dense) {
      std::vector<int64_t> shape(static_cast<std::size_t>(g.dim()), 1);
      shape[0] = b;
      params[name].mutable_grad().add_((g * factor.view(shape)).sum(0));
    }
    auto row_factor = factor.index_select(0, parts.trace.row_sequence).unsqueeze(1);
    auto& emb_grad = params["embedding.weight"].mutable_grad();
    emb_grad.index_add_(0, parts.trace.packed_ids, parts.d_embedded * row_factor);
    emb_grad[0].zero_();
    stats.norms = norms.index_select(0, batch_order(parts.trace));
    stats.loss_sum = parts.losses.sum().item<double>();
    stats.rows = b;
  }
  torch::NoGradGuard no_grad;
  const double std = noise_multiplier * max_grad_norm;
  for (auto& p : params) {
    auto& g = p.value().mutable_grad();
    if (std > 0) g.add_(torch::randn_like(g) * std);
    g.div_(expected_batch_size);
  }
  // The padding row never takes part in a prediction; keep it at zero (data-independent).
  params["embedding.weight"].mutable_grad()[0].zero_();
  return stats;
}

std::vector<std::vector<int64_t>> poisson_batches(int64_t n, double sample_rate, int64_t steps,
                                                  uint64_t seed) {
  std::mt19937_64 rng(seed);
  // Uniform [0, 1) from the top 53 bits: the same draws on every standard library.
  auto uniform = [&] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  std::vector<std::vector<int64_t>> batches(static_cast<std::size_t>(steps));
  for (auto& batch : batches) {
    batch.reserve(static_cast<std::size_t>(sample_rate * static_cast<double>(n) * 1.2) + 8);
    for (int64_t i = 0; i < n; ++i) {
      if (uniform() < sample_rate) batch.push_back(i);
    }
  }
  return batches;
}

PrivateTraining::PrivateTraining(const PrivacyOptions& options, int64_t train_rows,
                                 int64_t batch_size, int64_t epochs)
    : options_(options), rows_(train_rows) {
  if (!options_.enabled) return;
  steps_per_epoch_ = std::max<int64_t>(1, (train_rows + batch_size - 1) / batch_size);
  q_ = 1.0 / static_cast<double>(steps_per_epoch_);
  sigma_ = options_.noise_multiplier;
  if (options_.target_epsilon) {
    const auto solved = privacy::solve_noise_multiplier(*options_.target_epsilon, options_.delta, q_,
                                                        steps_per_epoch_ * epochs);
    sigma_ = solved.noise_multiplier;
  }
  log::info("privacy", "DP-SGD: sample rate " + std::to_string(q_) + " (expected batch " +
                           std::to_string(q_ * static_cast<double>(rows_)) + "), noise multiplier " +
                           std::to_string(sigma_) + ", max grad norm " +
                           std::to_string(options_.max_grad_norm) + ", delta " +
                           std::to_string(options_.delta));
  log::warn("privacy", "the (epsilon, delta) guarantee covers the model weights; tokenizer.json "
                       "(the vocabulary and word counts) is fitted on the training texts without "
                       "noise: redact PII (data.redact) or fit on public text");
}

void PrivateTraining::resume(int64_t epochs_completed) {
  if (enabled() && epochs_completed > 0) accountant_.add_steps(q_, sigma_, steps_per_epoch_ * epochs_completed);
}

std::vector<std::vector<int64_t>> PrivateTraining::epoch_batches(int64_t epoch, uint64_t seed) const {
  return poisson_batches(rows_, q_, steps_per_epoch_,
                         seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(epoch));
}

DpStepStats PrivateTraining::gradient(LstmClassifier& model, const Batch& batch,
                                      const torch::Tensor& class_weights,
                                      const torch::Tensor& row_weights) const {
  return dp_sgd_gradient(model, batch.rows.empty() ? nullptr : &batch, options_.max_grad_norm,
                         sigma_, q_ * static_cast<double>(rows_), class_weights, row_weights);
}

void PrivateTraining::end_epoch() {
  if (enabled()) accountant_.add_steps(q_, sigma_, steps_per_epoch_);
}

double PrivateTraining::epsilon() const { return accountant_.epsilon(options_.delta); }

nlohmann::json PrivateTraining::manifest_json() const {
  if (!enabled()) return nullptr;
  const auto spent = accountant_.spent(options_.delta);
  auto number_or_null = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"mechanism", "DP-SGD (Abadi et al. 2016): Poisson sampling, per-example clipping, "
                        "Gaussian noise"},
          {"accountant", "RDP of the sampled Gaussian mechanism (Mironov et al. 2019), Opacus "
                         "orders and RDP-to-(epsilon, delta) conversion"},
          {"noise_multiplier", sigma_},
          {"target_epsilon", options_.target_epsilon ? nlohmann::json(*options_.target_epsilon)
                                                     : nlohmann::json(nullptr)},
          {"max_grad_norm", options_.max_grad_norm},
          {"sample_rate", q_},
          {"expected_batch_size", q_ * static_cast<double>(rows_)},
          {"steps_per_epoch", steps_per_epoch_},
          {"steps", accountant_.steps()},
          {"delta", options_.delta},
          {"epsilon", number_or_null(spent.epsilon)},
          {"order", number_or_null(spent.order)},
          {"scope", "model weights (every epoch trained counts, also those after the best one); "
                    "tokenizer.json and labels.json are fitted on the training data without noise"},
          {"secure_rng", false}};
}

}  // namespace fm
