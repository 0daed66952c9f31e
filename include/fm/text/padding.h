#pragma once
/// \file
/// `pad_sequences` with the semantics of Keras' `keras_preprocessing.sequence.pad_sequences`.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fm/text/sequences.h"

namespace fm {

/// Which end of a sequence padding or truncation applies to.
enum class PadSide { kPre, kPost };

/// Options of pad_sequences; names and defaults are Keras'.
struct PaddingOptions {
  /// Length of every output row; nullopt = the longest sequence.
  std::optional<int64_t> maxlen;
  /// Where padding values go ("pre" = before the sequence).
  PadSide padding = PadSide::kPre;
  /// Which end loses tokens when a sequence is longer than maxlen.
  PadSide truncating = PadSide::kPre;
  /// Padding value.
  int64_t value = 0;
};

/// A row-major [rows × cols] matrix of padded sequences and each row's true (post-truncation)
/// length.
struct PaddedSequences {
  std::vector<int64_t> values;   ///< rows * cols entries, row-major
  int64_t rows = 0;              ///< number of sequences
  int64_t cols = 0;              ///< maxlen, or the longest sequence's length when maxlen is unset
  std::vector<int64_t> lengths;  ///< true number of tokens in each row (0 for an empty sequence)
};

/// Keras `pad_sequences(sequences, maxlen, padding, truncating, value)` plus true lengths: every
/// row holds min(len, maxlen) surviving tokens (see truncated_span), placed at the end of the row
/// (padding kPre) or at its start (kPost), the rest filled with `value`. With maxlen unset the
/// width is the longest sequence (0 when there are no sequences, where Keras raises); maxlen 0
/// gives empty rows (Keras raises there unless truncating is "post").
/// Throws fm::ConfigError when maxlen < 0.
PaddedSequences pad_sequences(const std::vector<std::vector<int64_t>>& sequences,
                              const PaddingOptions& options = {});
/// The same over sequences in one flat buffer; `threads` > 1 fills slices of rows in parallel.
PaddedSequences pad_flat_sequences(const FlatSequences& sequences,
                                   const PaddingOptions& options = {}, int threads = 1);

/// The tokens of `sequence` that survive truncation to `maxlen` from side `truncating`
/// (a view into `sequence`: first pointer and count): the last maxlen tokens for kPre, the first
/// maxlen for kPost, all of them when maxlen is unset or not exceeded.
/// Throws fm::ConfigError when maxlen < 0.
std::pair<const int64_t*, int64_t> truncated_span(const std::vector<int64_t>& sequence,
                                                  std::optional<int64_t> maxlen,
                                                  PadSide truncating);

/// "pre" → kPre, "post" → kPost; throws std::invalid_argument on anything else.
PadSide parse_pad_side(const std::string& s);
/// kPre → "pre", kPost → "post".
const char* to_string(PadSide side);

}  // namespace fm
