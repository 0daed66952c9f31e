#include "fm/model/lstm_classifier.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>

#include <torch/torch.h>

#include "fm/error.h"
#include "fm/io/memory.h"

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

double lstm_classifier_parameters(const ModelOptions& options, int64_t vocab_size,
                                  int64_t num_classes) {
  const double e = static_cast<double>(options.embedding_dim);
  const double h = static_cast<double>(options.hidden_size);
  const double dirs = options.bidirectional ? 2 : 1;
  double n = static_cast<double>(vocab_size) * e;
  for (int64_t layer = 0; layer < options.num_layers; ++layer) {
    const double in = layer == 0 ? e : h * dirs;
    n += dirs * (4 * h * in + 4 * h * h + 8 * h);
  }
  return n + static_cast<double>(num_classes) * (h * dirs + 1);
}

void check_model_fits(const ModelOptions& options, int64_t vocab_size, int64_t num_classes,
                      double bytes_per_parameter, const std::string& purpose) {
  const double parameters = lstm_classifier_parameters(options, vocab_size, num_classes);
  const double need = parameters * bytes_per_parameter;
  const double have = physical_memory_bytes();
  if (have <= 0 || need <= have) return;
  char text[320];
  std::snprintf(text, sizeof(text),
                "model: %.3g parameters (%lld embedding dims x %lld words, %lld hidden x %lld "
                "layers) need %.3g GiB %s, more than this machine's %.3g GiB (see "
                "model.embedding_dim, model.hidden_size, model.num_layers, tokenizer.num_words)",
                parameters, static_cast<long long>(options.embedding_dim),
                static_cast<long long>(vocab_size), static_cast<long long>(options.hidden_size),
                static_cast<long long>(options.num_layers), need / (1 << 30), purpose.c_str(),
                have / (1 << 30));
  throw ConfigError(text);
}

LstmClassifierImpl::LstmClassifierImpl(const ModelOptions& options, int64_t vocab_size,
                                       int64_t num_classes)
    : options_(options), vocab_size_(vocab_size), num_classes_(num_classes) {
  check_model_fits(options, vocab_size, num_classes, 4, "to hold the weights");
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
  const bool packed_kernel = !reference_lstm_ && ids.device().is_cpu() &&
                             embedding_->weight.scalar_type() == torch::kFloat;
  return packed_kernel ? forward_packed(ids, lengths, padding, nullptr)
                       : forward_reference(ids, lengths, padding);
}

torch::Tensor LstmClassifierImpl::forward_traced(const torch::Tensor& ids,
                                                 const torch::Tensor& lengths, PadSide padding,
                                                 ForwardTrace& trace) {
  TORCH_CHECK(ids.dim() == 2 && ids.device().is_cpu() &&
                  embedding_->weight.scalar_type() == torch::kFloat,
              "LstmClassifier::forward_traced: float32 CPU model and [batch, steps] ids only");
  return forward_packed(ids, lengths, padding, &trace);
}

torch::Tensor LstmClassifierImpl::forward_packed(const torch::Tensor& ids,
                                                 const torch::Tensor& lengths, PadSide padding,
                                                 ForwardTrace* trace) {
  const int64_t batch = ids.size(0);
  const int64_t steps = ids.size(1);
  auto ids_cpu = ids.to(torch::kLong).contiguous();
  auto len_t = lengths.to(torch::kCPU, torch::kLong).contiguous();
  const int64_t* len_p = len_t.data_ptr<int64_t>();
  const int64_t* id_p = ids_cpu.data_ptr<int64_t>();
  // A row of length 0 reads one padding token, as in the reference path.
  std::vector<int64_t> len(static_cast<std::size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) {
    len[static_cast<std::size_t>(b)] = std::clamp<int64_t>(len_p[b], 1, std::max<int64_t>(steps, 1));
  }
  std::vector<int64_t> order(static_cast<std::size_t>(batch));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return len[static_cast<std::size_t>(a)] > len[static_cast<std::size_t>(b)];
  });
  std::vector<int64_t> sorted_len(static_cast<std::size_t>(batch));
  for (int64_t r = 0; r < batch; ++r) {
    sorted_len[static_cast<std::size_t>(r)] = len[static_cast<std::size_t>(order[static_cast<std::size_t>(r)])];
  }
  const auto layout = PackedLayout::from_sorted_lengths(sorted_len);
  const int64_t total = layout.total;

  // Packed token ids (step-major), the row of each sequence's last step, and for the backward
  // direction the involution that reverses every sequence within its length.
  auto packed_ids = torch::empty({total}, torch::kLong);
  auto row_sequence = torch::empty({total}, torch::kLong);
  auto last = torch::empty({batch}, torch::kLong);
  auto reverse = torch::empty({options_.bidirectional ? total : 0}, torch::kLong);
  {
    int64_t* pid = packed_ids.data_ptr<int64_t>();
    int64_t* seq = row_sequence.data_ptr<int64_t>();
    int64_t* lst = last.data_ptr<int64_t>();
    int64_t* rev = options_.bidirectional ? reverse.data_ptr<int64_t>() : nullptr;
    for (int64_t r = 0; r < batch; ++r) {
      const int64_t b = order[static_cast<std::size_t>(r)];
      const int64_t n = sorted_len[static_cast<std::size_t>(r)];
      const int64_t first = padding == PadSide::kPost ? 0 : steps - n;
      for (int64_t t = 0; t < n; ++t) {
        const int64_t row = layout.offsets[static_cast<std::size_t>(t)] + r;
        pid[row] = id_p[b * steps + first + t];
        seq[row] = r;
        if (rev) rev[row] = layout.offsets[static_cast<std::size_t>(n - 1 - t)] + r;
      }
      lst[r] = layout.offsets[static_cast<std::size_t>(n - 1)] + r;
    }
  }
  auto emb = embedding_->forward(packed_ids);
  const int64_t layers = options_.num_layers;
  const double inter_dropout = layers > 1 ? options_.dropout : 0.0;
  const bool train = is_training();
  auto capture_for = [&](int64_t layer, bool rev) -> c10::intrusive_ptr<LstmCapture> {
    if (!trace) return {};
    auto c = c10::make_intrusive<LstmCapture>();
    trace->captures.emplace_back(suffix(layer, rev), c);
    return c;
  };
  auto run = [&](const torch::Tensor& in, int64_t layer, bool rev) {
    auto p = layer_params(layer, rev);
    return lstm_packed(in, layout, p[0], p[1], p[2], p[3], capture_for(layer, rev));
  };
  torch::Tensor in = emb;
  torch::Tensor features;
  for (int64_t layer = 0; layer < layers; ++layer) {
    auto fwd = run(in, layer, false);
    torch::Tensor bwd_reversed;
    if (options_.bidirectional) bwd_reversed = run(in.index_select(0, reverse), layer, true);
    if (layer + 1 == layers) {
      features = options_.bidirectional
                     ? torch::cat({fwd.index_select(0, last), bwd_reversed.index_select(0, last)}, 1)
                     : fwd.index_select(0, last);
    } else {
      in = options_.bidirectional ? torch::cat({fwd, bwd_reversed.index_select(0, reverse)}, 1)
                                  : fwd;
      if (train && inter_dropout > 0) in = torch::dropout(in, inter_dropout, true);
    }
  }
  features = dropout_->forward(features);
  auto logits_sorted = fc_->forward(features);
  auto order_t = torch::from_blob(order.data(), {batch}, torch::kLong).clone();
  auto unsort = torch::empty_like(order_t);
  unsort.index_put_({order_t}, torch::arange(batch, torch::kLong));
  if (trace) {
    trace->layout = layout;
    trace->order = order_t;
    trace->packed_ids = packed_ids;
    trace->row_sequence = row_sequence;
    trace->embedded = emb;
    trace->features = features;
  }
  return logits_sorted.index_select(0, unsort);
}

torch::Tensor LstmClassifierImpl::forward_reference(const torch::Tensor& ids,
                                                    const torch::Tensor& lengths,
                                                    PadSide padding) {
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
