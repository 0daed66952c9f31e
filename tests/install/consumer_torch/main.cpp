// Uses the installed fmkit::fmkit like a user's service would: tokenize, pad, and run an
// LstmClassifier forward pass on the padded batch. Exits non-zero when any result is wrong.
#include <fm/model/lstm_classifier.h>
#include <fm/model/options.h>
#include <fm/text/padding.h>
#include <fm/text/tokenizer.h>

#include <torch/types.h>
#include <torch/utils.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  if (!ok) ++failures;
}

// Padded ids [rows, cols] and true lengths [rows] as int64 CPU tensors.
std::pair<torch::Tensor, torch::Tensor> to_tensors(const fm::PaddedSequences& p) {
  auto ids = torch::tensor(std::vector<int64_t>(p.values.begin(), p.values.end()), torch::kInt64)
                 .reshape({p.rows, p.cols});
  auto lengths = torch::tensor(p.lengths, torch::kInt64);
  return {ids, lengths};
}

}  // namespace

int main() {
  try {
    fm::Tokenizer tokenizer;
    const std::vector<std::string> texts = {"good movie", "bad movie", "a very good film indeed"};
    tokenizer.fit_on_texts(texts);
    // good, movie, a, bad, very, film, indeed + padding row 0.
    check(tokenizer.vocab_size() == 8, "vocab_size == 8 (got " + std::to_string(tokenizer.vocab_size()) + ")");
    const auto sequences = tokenizer.texts_to_sequences(texts);

    fm::PaddingOptions post;
    post.maxlen = 6;
    post.padding = fm::PadSide::kPost;
    post.truncating = fm::PadSide::kPost;
    const fm::PaddedSequences padded = fm::pad_sequences(sequences, post);
    check(padded.rows == 3 && padded.cols == 6, "pad_sequences gives [3, 6]");
    check(padded.lengths == std::vector<int64_t>{2, 2, 5}, "true lengths [2, 2, 5]");

    torch::manual_seed(7);
    fm::ModelOptions model_options;
    model_options.embedding_dim = 8;
    model_options.hidden_size = 6;
    model_options.num_layers = 2;
    model_options.bidirectional = true;
    model_options.dropout = 0.0;
    fm::LstmClassifier model(model_options, tokenizer.vocab_size(), 3);
    model->eval();
    torch::NoGradGuard no_grad;

    const auto [ids, lengths] = to_tensors(padded);
    const torch::Tensor logits = model->forward(ids, lengths, fm::PadSide::kPost);
    check(logits.dim() == 2 && logits.size(0) == 3 && logits.size(1) == 3,
          "logits are [3, 3] (got " + std::to_string(logits.dim()) + "-d)");
    check(torch::isfinite(logits).all().item<bool>(), "logits are finite");
    check(logits.abs().sum().item<double>() > 0, "logits are not all zero");

    // Length-aware: more padding, or padding in front, leaves the logits unchanged.
    fm::PaddingOptions longer = post;
    longer.maxlen = 11;
    const auto [ids11, lengths11] = to_tensors(fm::pad_sequences(sequences, longer));
    const torch::Tensor logits11 = model->forward(ids11, lengths11, fm::PadSide::kPost);
    check(torch::allclose(logits, logits11, 1e-5, 1e-6), "post-padding to 11 gives the same logits");
    fm::PaddingOptions pre = post;
    pre.padding = fm::PadSide::kPre;
    const auto [ids_pre, lengths_pre] = to_tensors(fm::pad_sequences(sequences, pre));
    const torch::Tensor logits_pre = model->forward(ids_pre, lengths_pre, fm::PadSide::kPre);
    check(torch::allclose(logits, logits_pre, 1e-5, 1e-6), "pre-padding gives the same logits");
    // Different texts, different logits.
    check(!torch::allclose(logits[0], logits[1]), "rows 0 and 1 differ");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consumer_torch: error: %s\n", e.what());
    return 2;
  }
  std::printf("consumer_torch: %s\n", failures == 0 ? "all checks passed" : "FAILED");
  return failures == 0 ? 0 : 1;
}
