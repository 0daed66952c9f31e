#include "fm/data/encoded.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "fm/error.h"

namespace fm {
namespace {

// Fisher–Yates with our own draw so a seed gives the same order with every standard library.
void shuffle_rows(std::vector<int64_t>& v, std::mt19937_64& rng) {
  for (std::size_t i = v.size(); i > 1; --i) {
    std::size_t j = static_cast<std::size_t>(rng() % i);
    std::swap(v[i - 1], v[j]);
  }
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

[[noreturn]] void unseen_label(const Dataset& data, const Example& ex,
                               const std::vector<std::string>& labels) {
  throw DataError(data.path + ":" + std::to_string(ex.line) + ": label \"" + ex.label +
                  "\" was not seen in training (labels: " + join(labels) + ")");
}

}  // namespace

void check_known_labels(const Dataset& data, const std::vector<std::string>& labels) {
  const auto map = label_index(labels);
  for (const auto& ex : data.examples) {
    if (!map.count(ex.label)) unseen_label(data, ex, labels);
  }
}

std::unordered_map<std::string, int64_t> label_index(const std::vector<std::string>& labels) {
  std::unordered_map<std::string, int64_t> map;
  for (std::size_t i = 0; i < labels.size(); ++i) map.emplace(labels[i], static_cast<int64_t>(i));
  return map;
}

EncodedDataset encode_dataset(const Dataset& data, const Tokenizer& tokenizer,
                              const PaddingOptions& padding, const std::vector<std::string>& labels,
                              int threads) {
  std::vector<std::string> texts;
  texts.reserve(data.examples.size());
  for (const auto& ex : data.examples) texts.push_back(ex.text);
  return encode_sequences(data, tokenizer.texts_to_flat_sequences(texts, threads), padding,
                          labels);
}

EncodedDataset encode_sequences(const Dataset& data, const FlatSequences& sequences,
                                const PaddingOptions& padding,
                                const std::vector<std::string>& labels) {
  if (sequences.size() != static_cast<int64_t>(data.examples.size())) {
    throw Error("encode_sequences: " + std::to_string(sequences.size()) + " sequences for " +
                std::to_string(data.examples.size()) + " examples");
  }
  if (padding.maxlen && *padding.maxlen < 0) {
    throw ConfigError("padding.maxlen must be >= 0 (got " + std::to_string(*padding.maxlen) + ")");
  }
  EncodedDataset out;
  const auto map = label_index(labels);
  out.offsets.reserve(data.examples.size() + 1);
  out.offsets.push_back(0);
  out.labels.reserve(data.examples.size());
  out.tokens.reserve(sequences.values.size());
  for (std::size_t row = 0; row < data.examples.size(); ++row) {
    // Keras-style truncation (see truncated_span): keep the last maxlen tokens for "pre".
    const int64_t n = sequences.length(static_cast<int64_t>(row));
    const int64_t kept = padding.maxlen ? std::min(n, *padding.maxlen) : n;
    const int64_t* first = sequences.data(static_cast<int64_t>(row)) +
                           (padding.truncating == PadSide::kPre ? n - kept : 0);
    out.tokens.insert(out.tokens.end(), first, first + kept);
    out.offsets.push_back(static_cast<int64_t>(out.tokens.size()));
    const auto& ex = data.examples[row];
    if (labels.empty()) {
      out.labels.push_back(-1);
      continue;
    }
    auto it = map.find(ex.label);
    if (it == map.end()) unseen_label(data, ex, labels);
    out.labels.push_back(it->second);
  }
  return out;
}

std::vector<std::vector<int64_t>> plan_batches(const EncodedDataset& data, int64_t batch_size,
                                               bool shuffle, bool bucket_by_length, uint64_t seed) {
  std::vector<int64_t> order(static_cast<std::size_t>(data.size()));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  if (shuffle) shuffle_rows(order, rng);
  if (bucket_by_length) {
    const std::size_t window = static_cast<std::size_t>(batch_size) * 50;
    for (std::size_t start = 0; start < order.size(); start += window) {
      auto end = order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), start + window));
      std::stable_sort(order.begin() + static_cast<std::ptrdiff_t>(start), end,
                       [&](int64_t a, int64_t b) { return data.length(a) < data.length(b); });
    }
  }
  std::vector<std::vector<int64_t>> batches;
  for (std::size_t start = 0; start < order.size(); start += static_cast<std::size_t>(batch_size)) {
    auto end = std::min(order.size(), start + static_cast<std::size_t>(batch_size));
    batches.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(start),
                         order.begin() + static_cast<std::ptrdiff_t>(end));
  }
  if (shuffle && bucket_by_length) {
    for (std::size_t i = batches.size(); i > 1; --i) {
      std::swap(batches[i - 1], batches[static_cast<std::size_t>(rng() % i)]);
    }
  }
  return batches;
}

}  // namespace fm
