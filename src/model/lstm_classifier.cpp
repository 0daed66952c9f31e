#include "fm/model/lstm_classifier.h"

#include <cmath>
#include <string>

#include <torch/torch.h>

namespace fm {
namespace {

std::string suffix(int64_t layer, bool reverse) {
  return "_l" + std::to_string(layer) + (reverse ? "_reverse" : "");
}

/// Index [B, T] that reverses the first len[b] steps of each row and leaves the padding in place.
/// Applying it twice is the identity, so it also un-reverses.
torch::Tensor reverse_within_length(const torch::Tensor& len, int64_t steps) {
  auto t = torch::arange(steps, len.options()).unsqueeze(0);
  auto l = len.unsqueeze(1);
  return torch::where(t < l, l - 1 - t, t);
}

torch::Tensor gather_steps(const torch::Tensor& x, const torch::Tensor& index) {
  return x.gather(1, index.unsqueeze(2).expand({x.size(0), x.size(1), x.size(2)}));
}

torch::Tensor gather_last(const torch::Tensor& x, const torch::Tensor& len) {
  auto idx = (len - 1).view({-1, 1, 1}).expand({x.size(0), 1, x.size(2)});
  return x.gather(1, idx).squeeze(1);
}

}  // namespace

LstmClassifierImpl::LstmClassifierImpl(const ModelOptions& options, int64_t vocab_size,
                                       int64_t num_classes)
    : options_(options), vocab_size_(vocab_size), num_classes_(num_classes) {
  const int64_t e = options.embedding_dim;
  const int64_t h = options.hidden_size;
  const int64_t dirs = options.bidirectional ? 2 : 1;
  embedding_ = register_module(
      "embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(vocab_size, e).padding_idx(0)));
  lstm_ = register_module("lstm", std::make_shared<torch::nn::Module>());
  // nn.LSTM's initialisation: every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H)).
  const double bound = 1.0 / std::sqrt(static_cast<double>(h));
  for (int64_t layer = 0; layer < options.num_layers; ++layer) {
    const int64_t in = layer == 0 ? e : h * dirs;
    for (int64_t d = 0; d < dirs; ++d) {
      const auto s = suffix(layer, d == 1);
      lstm_->register_parameter("weight_ih" + s, torch::empty({4 * h, in}).uniform_(-bound, bound));
      lstm_->register_parameter("weight_hh" + s, torch::empty({4 * h, h}).uniform_(-bound, bound));
      lstm_->register_parameter("bias_ih" + s, torch::empty({4 * h}).uniform_(-bound, bound));
      lstm_->register_parameter("bias_hh" + s, torch::empty({4 * h}).uniform_(-bound, bound));
    }
  }
  dropout_ = register_module("dropout", torch::nn::Dropout(options.dropout));
  fc_ = register_module("fc", torch::nn::Linear(h * dirs, num_classes));
}

std::vector<torch::Tensor> LstmClassifierImpl::layer_params(int64_t layer, bool reverse) const {
  const auto s = suffix(layer, reverse);
  const auto& p = lstm_->named_parameters(/*recurse=*/false);
  return {p["weight_ih" + s], p["weight_hh" + s], p["bias_ih" + s], p["bias_hh" + s]};
}

torch::Tensor LstmClassifierImpl::forward(const torch::Tensor& ids, const torch::Tensor& lengths,
                                          PadSide padding) {
  TORCH_CHECK(ids.dim() == 2, "LstmClassifier: ids must be [batch, steps]");
  const auto device = ids.device();
  auto len_cpu = lengths.to(torch::kCPU, torch::kLong).clamp(1, std::max<int64_t>(ids.size(1), 1));
  const int64_t max_len = len_cpu.max().item<int64_t>();
  auto len = len_cpu.to(device);
  const int64_t batch = ids.size(0);
  const int64_t steps = ids.size(1);

  torch::Tensor x = ids;
  if (padding == PadSide::kPre) {
    // Tokens sit at the end of each row: shift them to the front, padding after.
    auto t = torch::arange(steps, len.options()).unsqueeze(0);
    auto src = (t + (steps - len.unsqueeze(1))).clamp_max(steps - 1);
    x = torch::where(t < len.unsqueeze(1), ids.gather(1, src), torch::zeros_like(ids));
  }
  // Steps past the longest sequence hold only padding: never compute them.
  x = x.narrow(1, 0, max_len);
  auto emb = embedding_->forward(x);

  const int64_t h = options_.hidden_size;
  const int64_t layers = options_.num_layers;
  const bool train = is_training();
  const double inter_dropout = layers > 1 ? options_.dropout : 0.0;
  torch::Tensor features;
  if (!options_.bidirectional) {
    std::vector<torch::Tensor> params;
    for (int64_t layer = 0; layer < layers; ++layer) {
      auto p = layer_params(layer, false);
      params.insert(params.end(), p.begin(), p.end());
    }
    auto zeros = torch::zeros({layers, batch, h}, emb.options());
    auto out = std::get<0>(torch::lstm(emb, {zeros, zeros}, params, /*has_biases=*/true, layers,
                                       inter_dropout, train, /*bidirectional=*/false,
                                       /*batch_first=*/true));
    features = gather_last(out, len);
  } else {
    // Layer by layer: the backward direction reads each sequence reversed *within its length*, so
    // its final state has seen exactly the real tokens, as with packed sequences.
    auto rev = reverse_within_length(len, max_len);
    auto zeros = torch::zeros({1, batch, h}, emb.options());
    auto run = [&](const torch::Tensor& in, int64_t layer, bool reverse) {
      return std::get<0>(torch::lstm(in, {zeros, zeros}, layer_params(layer, reverse), true, 1, 0.0,
                                     train, false, true));
    };
    torch::Tensor in = emb;
    for (int64_t layer = 0; layer < layers; ++layer) {
      auto fwd = run(in, layer, false);
      auto bwd_reversed = run(gather_steps(in, rev), layer, true);
      if (layer + 1 == layers) {
        features = torch::cat({gather_last(fwd, len), gather_last(bwd_reversed, len)}, 1);
      } else {
        in = torch::cat({fwd, gather_steps(bwd_reversed, rev)}, 2);
        if (train && inter_dropout > 0) in = torch::dropout(in, inter_dropout, true);
      }
    }
  }
  return fc_->forward(dropout_->forward(features));
}

}  // namespace fm
