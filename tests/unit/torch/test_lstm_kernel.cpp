// fmkit's packed LSTM kernel against LibTorch's own LSTM (forward and every gradient), the model's
// two paths against each other, and DP-SGD's vectorised per-example gradients against
// batch-size-1 backward passes.
#include <cmath>
#include <numeric>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fm/model/batching.h"
#include "fm/model/lstm_classifier.h"
#include "fm/model/lstm_kernel.h"
#include "fm/train/dp_sgd.h"

namespace fm {
namespace {

TEST(FastTanh, WithinFourTenthsOfAMillionthOfStdTanh) {
  double worst = 0;
  for (double x = -20.0; x <= 20.0; x += 1e-4) {
    const float xf = static_cast<float>(x);
    worst = std::max(worst, std::fabs(static_cast<double>(fast_tanh(xf)) - std::tanh(static_cast<double>(xf))));
  }
  EXPECT_LT(worst, 4e-7);  // a few float ulps near ±1
  EXPECT_EQ(fast_tanh(0.0f), 0.0f);
  EXPECT_EQ(fast_tanh(1e-5f), 1e-5f);
}

TEST(PackedLayout, CountsRowsPerStep) {
  const auto l = PackedLayout::from_sorted_lengths({4, 2, 2, 1});
  EXPECT_EQ(l.batch_sizes, (std::vector<int64_t>{4, 3, 1, 1}));
  EXPECT_EQ(l.offsets, (std::vector<int64_t>{0, 4, 7, 8}));
  EXPECT_EQ(l.total, 9);
  EXPECT_EQ(l.sequences(), 4);
}

/// Reference: LibTorch's LSTM on each sequence alone (no padding at all), autograd for gradients.
/// With 3 threads the kernel splits the sequences into chunks that run their time loops alone.
class LstmPacked : public ::testing::TestWithParam<int> {};

TEST_P(LstmPacked, MatchesTorchLstmOutputsAndGradients) {
  const int before = at::get_num_threads();
  at::set_num_threads(GetParam());
  torch::manual_seed(3);
  const int64_t in = 7, hidden = 5;
  const std::vector<int64_t> lengths = {9, 6, 6, 5, 4, 4, 3, 2, 2, 1, 1};
  const auto layout = PackedLayout::from_sorted_lengths(lengths);
  auto w_ih = torch::randn({4 * hidden, in}).mul_(0.5).requires_grad_();
  auto w_hh = torch::randn({4 * hidden, hidden}).mul_(0.5).requires_grad_();
  auto b_ih = torch::randn({4 * hidden}).mul_(0.5).requires_grad_();
  auto b_hh = torch::randn({4 * hidden}).mul_(0.5).requires_grad_();
  auto x = torch::randn({layout.total, in}).requires_grad_();
  auto upstream = torch::randn({layout.total, hidden});

  auto h = lstm_packed(x, layout, w_ih, w_hh, b_ih, b_hh);
  (h * upstream).sum().backward();

  std::vector<torch::Tensor> ref_params = {w_ih.detach().clone().requires_grad_(),
                                           w_hh.detach().clone().requires_grad_(),
                                           b_ih.detach().clone().requires_grad_(),
                                           b_hh.detach().clone().requires_grad_()};
  auto x_ref = x.detach().clone().requires_grad_();
  torch::Tensor total = torch::zeros({});
  for (std::size_t r = 0; r < lengths.size(); ++r) {
    std::vector<torch::Tensor> rows, ups;
    for (int64_t t = 0; t < lengths[r]; ++t) {
      rows.push_back(x_ref[layout.offsets[static_cast<std::size_t>(t)] + static_cast<int64_t>(r)]);
      ups.push_back(upstream[layout.offsets[static_cast<std::size_t>(t)] + static_cast<int64_t>(r)]);
    }
    auto seq = torch::stack(rows).unsqueeze(1);  // [T, 1, I]
    auto zeros = torch::zeros({1, 1, hidden});
    auto out = std::get<0>(torch::lstm(seq, {zeros, zeros}, ref_params, true, 1, 0.0, false, false,
                                       false));
    for (int64_t t = 0; t < lengths[r]; ++t) {
      const auto row = layout.offsets[static_cast<std::size_t>(t)] + static_cast<int64_t>(r);
      EXPECT_TRUE(torch::allclose(h[row].detach(), out[t][0].detach(), 1e-5, 1e-6)) << "row " << row;
    }
    total = total + (out.squeeze(1) * torch::stack(ups)).sum();
  }
  total.backward();
  EXPECT_TRUE(torch::allclose(x.grad(), x_ref.grad(), 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(w_ih.grad(), ref_params[0].grad(), 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(w_hh.grad(), ref_params[1].grad(), 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(b_ih.grad(), ref_params[2].grad(), 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(b_hh.grad(), ref_params[3].grad(), 1e-4, 1e-5));
  at::set_num_threads(before);
}

INSTANTIATE_TEST_SUITE_P(Threads, LstmPacked, ::testing::Values(1, 3));

ModelOptions opts(bool bidirectional, int64_t layers, double dropout) {
  ModelOptions o;
  o.embedding_dim = 6;
  o.hidden_size = 5;
  o.num_layers = layers;
  o.bidirectional = bidirectional;
  o.dropout = dropout;
  return o;
}

EncodedDataset toy_data() {
  const std::vector<std::vector<int64_t>> seqs = {{3, 4, 5, 6, 7, 8, 9}, {12}, {1, 29, 2, 2}, {},
                                                  {5, 5, 5, 5}, {17, 18, 19, 20, 21, 22, 23, 24, 25},
                                                  {2, 3}};
  EncodedDataset data;
  data.offsets.push_back(0);
  int64_t label = 0;
  for (const auto& s : seqs) {
    data.tokens.insert(data.tokens.end(), s.begin(), s.end());
    data.offsets.push_back(static_cast<int64_t>(data.tokens.size()));
    data.labels.push_back(label++ % 3);
  }
  return data;
}

class ModelPaths : public ::testing::TestWithParam<std::tuple<bool, int64_t, PadSide>> {};

TEST_P(ModelPaths, PackedKernelMatchesLibTorchLstmLogitsAndGradients) {
  const auto [bidirectional, layers, side] = GetParam();
  torch::manual_seed(11);
  LstmClassifier model(opts(bidirectional, layers, 0.0), 30, 3);
  const auto data = toy_data();
  std::vector<int64_t> rows(static_cast<std::size_t>(data.size()));
  std::iota(rows.begin(), rows.end(), 0);
  const auto batch = make_batch(data, rows, side);

  auto grads = [&](bool reference) {
    model->set_reference_lstm(reference);
    model->zero_grad();
    auto logits = model->forward(batch.ids, batch.lengths, side);
    torch::nn::functional::cross_entropy(logits, batch.labels).backward();
    std::map<std::string, torch::Tensor> g;
    for (const auto& p : model->named_parameters()) g[p.key()] = p.value().grad().clone();
    g["logits"] = logits.detach();
    return g;
  };
  const auto ours = grads(false);
  const auto ref = grads(true);
  for (const auto& [name, g] : ref) {
    EXPECT_TRUE(torch::allclose(ours.at(name), g, 1e-4, 1e-6)) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(All, ModelPaths,
                         ::testing::Combine(::testing::Bool(), ::testing::Values(1, 2),
                                            ::testing::Values(PadSide::kPost, PadSide::kPre)));

class PerExample : public ::testing::TestWithParam<std::tuple<bool, int64_t>> {};

TEST_P(PerExample, VectorisedGradientsEqualSingleExampleBackwardPasses) {
  const auto [bidirectional, layers] = GetParam();
  torch::manual_seed(5);
  LstmClassifier model(opts(bidirectional, layers, 0.0), 30, 3);
  const auto data = toy_data();
  std::vector<int64_t> rows(static_cast<std::size_t>(data.size()));
  std::iota(rows.begin(), rows.end(), 0);
  const auto batch = make_batch(data, rows);
  const auto weights = torch::tensor({1.0f, 2.0f, 0.5f});
  const auto per = per_example_gradients(model, batch, weights);

  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto one = make_batch(data, {rows[i]});
    model->zero_grad();
    auto logits = model->forward(one.ids, one.lengths);
    namespace F = torch::nn::functional;
    F::cross_entropy(logits, one.labels,
                     F::CrossEntropyFuncOptions().weight(weights).reduction(torch::kSum))
        .backward();
    for (const auto& p : model->named_parameters()) {
      EXPECT_TRUE(torch::allclose(per.at(p.key())[static_cast<int64_t>(i)], p.value().grad(), 1e-4,
                                  1e-6))
          << p.key() << " example " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(All, PerExample,
                         ::testing::Combine(::testing::Bool(), ::testing::Values(1, 2)));

TEST(DpSgd, ClipsEachExampleToMaxNormAndSumsThem) {
  torch::manual_seed(9);
  LstmClassifier model(opts(true, 2, 0.0), 30, 3);
  const auto data = toy_data();
  std::vector<int64_t> rows(static_cast<std::size_t>(data.size()));
  std::iota(rows.begin(), rows.end(), 0);
  const auto batch = make_batch(data, rows);
  const auto per = per_example_gradients(model, batch);
  const int64_t b = static_cast<int64_t>(rows.size());
  auto norms = torch::zeros({b});
  for (const auto& [name, g] : per) norms += g.reshape({b, -1}).pow(2).sum(1);
  norms = norms.sqrt();
  const double c = norms.median().item<double>();  // some examples clipped, some not

  const auto stats = dp_sgd_gradient(model, &batch, c, /*noise=*/0.0, /*expected=*/1.0);
  EXPECT_TRUE(torch::allclose(stats.norms, norms, 1e-4, 1e-6));
  auto factor = (c / (norms + 1e-6)).clamp_max(1.0);
  auto clipped_sq = torch::zeros({b});
  for (const auto& p : model->named_parameters()) {
    auto g = per.at(p.key());
    std::vector<int64_t> shape(static_cast<std::size_t>(g.dim()), 1);
    shape[0] = b;
    auto clipped = g * factor.view(shape);
    clipped_sq += clipped.reshape({b, -1}).pow(2).sum(1);
    EXPECT_TRUE(torch::allclose(p.value().grad(), clipped.sum(0), 1e-4, 1e-6)) << p.key();
  }
  EXPECT_LE(clipped_sq.sqrt().max().item<double>(), c * (1 + 1e-5));
  EXPECT_GT((norms > c).sum().item<int64_t>(), 0);
}

TEST(DpSgd, NoiseHasStandardDeviationSigmaCOverExpectedBatch) {
  torch::manual_seed(2);
  LstmClassifier model(opts(false, 1, 0.0), 400, 2);
  dp_sgd_gradient(model, nullptr, /*C=*/2.0, /*sigma=*/1.5, /*expected=*/4.0);
  auto g = model->named_parameters()["embedding.weight"].grad().narrow(0, 1, 399);
  // σC / expected = 0.75; 2,394 draws: the sample deviation is within a few percent.
  EXPECT_NEAR(g.std().item<double>(), 0.75, 0.05);
  EXPECT_NEAR(g.mean().item<double>(), 0.0, 0.05);
  EXPECT_EQ(model->named_parameters()["embedding.weight"].grad()[0].abs().sum().item<float>(), 0.0f);
}

TEST(DpSgd, PoissonBatchesHaveRateQAndAreSeeded) {
  const auto a = poisson_batches(10000, 0.01, 200, 42);
  const auto b = poisson_batches(10000, 0.01, 200, 42);
  EXPECT_EQ(a, b);
  double total = 0;
  for (const auto& batch : a) total += static_cast<double>(batch.size());
  // Mean batch size q·N = 100; over 200 batches the mean has standard error ≈ 0.7.
  EXPECT_NEAR(total / 200.0, 100.0, 3.0);
}

}  // namespace
}  // namespace fm
