#include "data/checks.h"

#include <algorithm>
#include <cstring>

#include "fm/error.h"
#include "fm/log.h"

namespace fm::data_detail {

std::size_t find_invalid_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    // ASCII fast path, eight bytes at a time.
    if (i + 8 <= n) {
      std::uint64_t word;
      std::memcpy(&word, s + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t length;
    unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) low = 0xA0;   // overlong
      if (c == 0xED) high = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) low = 0x90;   // overlong
      if (c == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
      return i;
    }
    if (i + 1 >= n || s[i + 1] < low || s[i + 1] > high) return i;
    for (std::size_t k = 2; k < length; ++k) {
      if (i + k >= n || (s[i + k] & 0xC0) != 0x80) return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

namespace {

std::string ascii_lower(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::size_t osa_distance(const std::string& a, const std::string& b) {
  const std::size_t m = a.size(), n = b.size();
  std::vector<std::vector<std::size_t>> d(m + 1, std::vector<std::size_t>(n + 1));
  for (std::size_t i = 0; i <= m; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= n; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= m; ++i) {
    for (std::size_t j = 1; j <= n; ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[m][n];
}

}  // namespace

std::string closest_match(const std::string& name, const std::vector<std::string>& candidates) {
  const std::size_t limit = name.size() <= 4 ? 1 : name.size() <= 8 ? 2 : 3;
  const std::string key = ascii_lower(name);
  std::string best;
  std::size_t best_distance = limit + 1;
  for (const auto& candidate : candidates) {
    if (candidate == name) continue;
    std::size_t d = osa_distance(key, ascii_lower(candidate));
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

std::string describe_choices(const std::string& what, const std::string& name,
                             const std::vector<std::string>& candidates) {
  constexpr std::size_t kMaxListed = 20;
  std::string out = " (" + what + ": ";
  for (std::size_t i = 0; i < candidates.size() && i < kMaxListed; ++i) {
    if (i > 0) out += ", ";
    out += printable(candidates[i]);
  }
  if (candidates.empty()) out += "none";
  if (candidates.size() > kMaxListed) {
    out += ", ... " + std::to_string(candidates.size() - kMaxListed) + " more";
  }
  out += ")";
  std::string suggestion = closest_match(name, candidates);
  if (!suggestion.empty()) out += "; did you mean \"" + printable(suggestion) + "\"?";
  return out;
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7F) {
      static const char kHex[] = "0123456789ABCDEF";
      out += "\\x";
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void fail(const std::string& path, int64_t line, const std::string& message) {
  if (line > 0) throw DataError(path + ":" + std::to_string(line) + ": " + message);
  throw DataError(path + ": " + message);
}

int64_t count_line_breaks(std::string_view text) {
  int64_t count = 0;
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n; ++i) {
    char c = text[i];
    if (c == '\n') {
      ++count;
    } else if (c == '\r' && (i + 1 >= n || text[i + 1] != '\n')) {
      ++count;
    }
  }
  return count;
}

NulTexts::~NulTexts() {
  if (texts_ == 0) return;
  log::warn("data", path_ + ":" + std::to_string(first_line_) + ": " + std::to_string(texts_) +
                        (texts_ == 1 ? " text" : " texts") + " of column \"" + printable(column_) +
                        "\" with NUL bytes (binary content?): read as spaces");
}

}  // namespace fm::data_detail
