// LstmClassifier: PyTorch parameter names, agreement with torch::nn::LSTM on unpadded input, and
// logits that do not depend on padding (side or amount).
#include <numeric>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fm/model/batching.h"
#include "fm/model/lstm_classifier.h"

namespace fm {
namespace {

ModelOptions small(bool bidirectional, int64_t layers) {
  ModelOptions o;
  o.embedding_dim = 6;
  o.hidden_size = 5;
  o.num_layers = layers;
  o.bidirectional = bidirectional;
  o.dropout = 0.3;
  return o;
}

TEST(LstmClassifier, ParameterNamesFollowPyTorch) {
  torch::manual_seed(1);
  LstmClassifier model(small(true, 2), 20, 3);
  std::vector<std::string> names;
  for (const auto& p : model->named_parameters()) names.push_back(p.key());
  const std::vector<std::string> expected = {
      "embedding.weight",        "lstm.weight_ih_l0",         "lstm.weight_hh_l0",
      "lstm.bias_ih_l0",         "lstm.bias_hh_l0",           "lstm.weight_ih_l0_reverse",
      "lstm.weight_hh_l0_reverse", "lstm.bias_ih_l0_reverse", "lstm.bias_hh_l0_reverse",
      "lstm.weight_ih_l1",       "lstm.weight_hh_l1",         "lstm.bias_ih_l1",
      "lstm.bias_hh_l1",         "lstm.weight_ih_l1_reverse", "lstm.weight_hh_l1_reverse",
      "lstm.bias_ih_l1_reverse", "lstm.bias_hh_l1_reverse",   "fc.weight",
      "fc.bias"};
  EXPECT_EQ(names, expected);
  EXPECT_EQ(model->named_parameters()["lstm.weight_ih_l1"].sizes(), torch::IntArrayRef({20, 10}));
  EXPECT_EQ(model->named_parameters()["fc.weight"].sizes(), torch::IntArrayRef({3, 10}));
  // Padding row of the embedding starts at zero, as with nn.Embedding(padding_idx=0).
  EXPECT_EQ(model->named_parameters()["embedding.weight"][0].abs().sum().item<float>(), 0.0f);
}

/// Reference: torch::nn::LSTM (the same kernels as Python's nn.LSTM) loaded with our weights, run
/// on one unpadded sequence; final forward state at the last step, backward state at step 0.
torch::Tensor reference_logits(LstmClassifier& model, const torch::Tensor& ids) {
  const auto& o = model->options();
  torch::nn::LSTM ref(torch::nn::LSTMOptions(o.embedding_dim, o.hidden_size)
                          .num_layers(o.num_layers)
                          .bidirectional(o.bidirectional)
                          .batch_first(true));
  ref->eval();
  auto ours = model->named_parameters();
  torch::NoGradGuard guard;
  for (auto& p : ref->named_parameters()) p.value().copy_(ours["lstm." + p.key()]);
  auto emb = torch::embedding(ours["embedding.weight"], ids.unsqueeze(0));
  auto out = std::get<0>(ref->forward(emb));
  const int64_t h = o.hidden_size;
  auto feat = out.select(1, ids.size(0) - 1).narrow(1, 0, h);
  if (o.bidirectional) feat = torch::cat({feat, out.select(1, 0).narrow(1, h, h)}, 1);
  return torch::linear(feat, ours["fc.weight"], ours["fc.bias"]);
}

class PaddingInvariance : public ::testing::TestWithParam<std::tuple<bool, int64_t>> {};

TEST_P(PaddingInvariance, LogitsIgnorePaddingAndMatchNnLstm) {
  const auto [bidirectional, layers] = GetParam();
  torch::manual_seed(7);
  LstmClassifier model(small(bidirectional, layers), 30, 3);
  model->eval();
  torch::NoGradGuard guard;
  const std::vector<std::vector<int64_t>> seqs = {
      {3, 4, 5, 6, 7, 8, 9}, {12}, {1, 29, 2}, {}, {5, 5, 5, 5}, {17, 18, 19, 20, 21, 22, 23, 24, 25}};
  EncodedDataset data;
  data.offsets.push_back(0);
  for (const auto& s : seqs) {
    data.tokens.insert(data.tokens.end(), s.begin(), s.end());
    data.offsets.push_back(static_cast<int64_t>(data.tokens.size()));
    data.labels.push_back(0);
  }
  std::vector<int64_t> rows(seqs.size());
  std::iota(rows.begin(), rows.end(), 0);
  auto post = make_batch(data, rows, PadSide::kPost);
  auto pre = make_batch(data, rows, PadSide::kPre);
  auto logits_post = model->forward(post.ids, post.lengths, PadSide::kPost);
  auto logits_pre = model->forward(pre.ids, pre.lengths, PadSide::kPre);
  // Extra padding columns on either side change nothing.
  auto wide_post = torch::cat({post.ids, torch::zeros({post.ids.size(0), 11}, torch::kLong)}, 1);
  auto wide_pre = torch::cat({torch::zeros({pre.ids.size(0), 11}, torch::kLong), pre.ids}, 1);
  EXPECT_TRUE(torch::allclose(logits_post, model->forward(wide_post, post.lengths), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(logits_post, logits_pre, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(logits_post, model->forward(wide_pre, pre.lengths, PadSide::kPre),
                              1e-5, 1e-6));
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    if (seqs[i].empty()) continue;
    auto ids = torch::tensor(seqs[i], torch::kLong);
    auto alone = model->forward(ids.unsqueeze(0), torch::tensor({ids.size(0)}, torch::kLong));
    EXPECT_TRUE(torch::allclose(logits_post[static_cast<int64_t>(i)], alone[0], 1e-5, 1e-6))
        << "row " << i;
    EXPECT_TRUE(torch::allclose(alone, reference_logits(model, ids), 1e-5, 1e-6)) << "row " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, PaddingInvariance,
                         ::testing::Values(std::make_tuple(false, 1), std::make_tuple(false, 2),
                                           std::make_tuple(true, 1), std::make_tuple(true, 3)));

TEST(LstmClassifier, DropoutOnlyInTraining) {
  torch::manual_seed(3);
  LstmClassifier model(small(false, 2), 10, 2);
  auto ids = torch::tensor({{1, 2, 3, 4}}, torch::kLong);
  auto len = torch::tensor({4}, torch::kLong);
  model->eval();
  auto a = model->forward(ids, len);
  auto b = model->forward(ids, len);
  EXPECT_TRUE(torch::equal(a, b));
}

}  // namespace
}  // namespace fm
