#include "fm/text/padding.h"

#include <algorithm>
#include <stdexcept>

#include "fm/error.h"

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

PaddedSequences pad_sequences(const std::vector<std::vector<int64_t>>& sequences,
                              const PaddingOptions& options) {
  check_maxlen(options.maxlen);
  PaddedSequences out;
  out.rows = static_cast<int64_t>(sequences.size());
  if (options.maxlen) {
    out.cols = *options.maxlen;
  } else {
    for (const auto& sequence : sequences) {
      out.cols = std::max(out.cols, static_cast<int64_t>(sequence.size()));
    }
  }
  out.values.assign(static_cast<size_t>(out.rows * out.cols), options.value);
  out.lengths.resize(sequences.size());
  for (size_t row = 0; row < sequences.size(); ++row) {
    const auto [first, count] = truncated_span(sequences[row], out.cols, options.truncating);
    out.lengths[row] = count;
    int64_t* dest = out.values.data() + static_cast<int64_t>(row) * out.cols;
    if (options.padding == PadSide::kPre) dest += out.cols - count;
    std::copy(first, first + count, dest);
  }
  return out;
}

PadSide parse_pad_side(const std::string& s) {
  if (s == "pre") return PadSide::kPre;
  if (s == "post") return PadSide::kPost;
  throw std::invalid_argument("expected \"pre\" or \"post\" (got \"" + s + "\")");
}

const char* to_string(PadSide side) { return side == PadSide::kPre ? "pre" : "post"; }

}  // namespace fm
