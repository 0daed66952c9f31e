#pragma once
/// \file
/// A dataset tokenized once: truncated token ids stored flat, label indices, and batch planning.
/// No torch: tensors are built from this in fm/model/batching.h.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "fm/data/dataset.h"
#include "fm/text/padding.h"
#include "fm/text/tokenizer.h"

namespace fm {

/// Token ids of every example after Keras-style truncation, in one flat buffer.
struct EncodedDataset {
  std::vector<int64_t> tokens;   ///< all rows back to back
  std::vector<int64_t> offsets;  ///< row i is tokens[offsets[i], offsets[i+1])
  std::vector<int64_t> labels;   ///< label index per row; -1 when the dataset has no labels
  int64_t size() const { return static_cast<int64_t>(offsets.size()) - 1; }
  int64_t length(int64_t row) const { return offsets[row + 1] - offsets[row]; }
  /// Number of real (non-padding) tokens.
  int64_t total_tokens() const { return tokens.size(); }
};

/// Maps label strings to their index in `labels` (the run's label set).
std::unordered_map<std::string, int64_t> label_index(const std::vector<std::string>& labels);

/// Throws fm::DataError "path:line: label \"x\" was not seen in training (labels: a, b)" for the
/// first example whose label is not in `labels` (checks data before any time is spent on it).
void check_known_labels(const Dataset& data, const std::vector<std::string>& labels);
/// Tokenizes every text, truncates to `padding.maxlen` from `padding.truncating`, maps labels.
/// A label missing from `labels` throws fm::DataError "path:line: label \"x\" was not seen in
/// training (labels: a, b)". Pass an empty `labels` to skip labels.
/// `threads` > 1 tokenizes contiguous ranges of examples in parallel (same result).
EncodedDataset encode_dataset(const Dataset& data, const Tokenizer& tokenizer,
                              const PaddingOptions& padding, const std::vector<std::string>& labels,
                              int threads = 1);
/// The same from sequences already computed for `data`'s texts (e.g. by Tokenizer::fit_transform).
EncodedDataset encode_sequences(const Dataset& data, const FlatSequences& sequences,
                                const PaddingOptions& padding,
                                const std::vector<std::string>& labels);

/// Splits rows 0..n-1 into batches of at most `batch_size`. With `shuffle`, order is drawn from
/// `seed`; with `bucket_by_length`, rows are sorted by length inside windows of 50 batches (then the
/// batches are shuffled), so each batch holds sequences of similar length and little padding.
std::vector<std::vector<int64_t>> plan_batches(const EncodedDataset& data, int64_t batch_size,
                                               bool shuffle, bool bucket_by_length, uint64_t seed);

}  // namespace fm
