#include "fm/text/padding.h"

#include <algorithm>
#include <stdexcept>

#include "fm/error.h"
#include "fm/io/parallel.h"

namespace fm {
namespace {

void check_maxlen(std::optional<int64_t> maxlen) {
  if (maxlen && *maxlen < 0) {
    throw ConfigError("padding.maxlen must be >= 0 (got " + std::to_string(*maxlen) + ")");
  }
}

}  // namespace

std::pair<const int64_t*, int64_t> truncated_span(const std::vector<int64_t>& sequence,
                                                  std::optional<int64_t> maxlen,
                                                  PadSide truncating) {
  check_maxlen(maxlen);
  const auto size = static_cast<int64_t>(sequence.size());
  if (!maxlen || size <= *maxlen) return {sequence.data(), size};
  if (truncating == PadSide::kPre) return {sequence.data() + (size - *maxlen), *maxlen};
  return {sequence.data(), *maxlen};
}

namespace {

// Row i of `count` sequences is size(i) tokens at data(i); `threads` fill slices of rows.
template <typename Size, typename Data>
PaddedSequences pad_rows(size_t count, Size&& size, Data&& data, const PaddingOptions& options,
                         int threads = 1) {
  check_maxlen(options.maxlen);
  PaddedSequences out;
  out.rows = static_cast<int64_t>(count);
  if (options.maxlen) {
    out.cols = *options.maxlen;
  } else {
    for (size_t row = 0; row < count; ++row) out.cols = std::max(out.cols, size(row));
  }
  out.values.assign(static_cast<size_t>(out.rows * out.cols), options.value);
  out.lengths.resize(count);
  // Slices of at least 1 MB of output each.
  const size_t row_bytes = static_cast<size_t>(std::max<int64_t>(out.cols, 1)) * sizeof(int64_t);
  const size_t slices = std::max<size_t>(
      1, std::min<size_t>(static_cast<size_t>(std::max(threads, 1)), count * row_bytes >> 20));
  run_jobs(slices, threads, [&](size_t s) {
    for (size_t row = count * s / slices; row < count * (s + 1) / slices; ++row) {
      const int64_t n = size(row);
      const int64_t kept = std::min(n, out.cols);
      const int64_t* first = data(row) + (options.truncating == PadSide::kPre ? n - kept : 0);
      out.lengths[row] = kept;
      int64_t* dest = out.values.data() + static_cast<int64_t>(row) * out.cols;
      if (options.padding == PadSide::kPre) dest += out.cols - kept;
      std::copy(first, first + kept, dest);
    }
  });
  return out;
}

}  // namespace

PaddedSequences pad_sequences(const std::vector<std::vector<int64_t>>& sequences,
                              const PaddingOptions& options) {
  return pad_rows(
      sequences.size(), [&](size_t i) { return static_cast<int64_t>(sequences[i].size()); },
      [&](size_t i) { return sequences[i].data(); }, options);
}

PaddedSequences pad_flat_sequences(const FlatSequences& sequences, const PaddingOptions& options,
                                   int threads) {
  return pad_rows(
      static_cast<size_t>(sequences.size()),
      [&](size_t i) { return sequences.length(static_cast<int64_t>(i)); },
      [&](size_t i) { return sequences.data(static_cast<int64_t>(i)); }, options, threads);
}

PadSide parse_pad_side(const std::string& s) {
  if (s == "pre") return PadSide::kPre;
  if (s == "post") return PadSide::kPost;
  throw std::invalid_argument("expected \"pre\" or \"post\" (got \"" + s + "\")");
}

const char* to_string(PadSide side) { return side == PadSide::kPre ? "pre" : "post"; }

}  // namespace fm
