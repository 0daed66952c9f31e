#pragma once
// Helpers shared by the CSV and JSONL readers: UTF-8 validation, "did you mean" suggestions and
// the one-line error format.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fm::data_detail {

/// Offset of the first byte that does not start or continue a well-formed UTF-8 sequence
/// (Unicode 15 table 3-7: no overlongs, no surrogates, nothing above U+10FFFF), or npos.
std::size_t find_invalid_utf8(std::string_view text);

/// Closest candidate to `name` (case-insensitive optimal string alignment distance, at most 1 for
/// names up to 4 bytes, 2 up to 8, else 3), or "" when none is close.
std::string closest_match(const std::string& name, const std::vector<std::string>& candidates);

/// ` (columns: a, b, c); did you mean "x"?` — the list (first 20 names) and the suggestion.
std::string describe_choices(const std::string& what, const std::string& name,
                             const std::vector<std::string>& candidates);

/// `text` with control characters written as \n, \r, \t or \xNN, so that names and values
/// taken from a file keep error messages on one line.
std::string printable(std::string_view text);

/// Throws fm::DataError "path:line: message" (line ≤ 0: "path: message").
[[noreturn]] void fail(const std::string& path, int64_t line, const std::string& message);

/// NUL bytes in texts: valid UTF-8 but never text (a binary attachment in a mail corpus, a broken
/// export), and a tokenizer would make them part of a word. check() reads each NUL as a space; the
/// destructor warns once per file with the count and the first line.
class NulTexts {
 public:
  NulTexts(std::string path, std::string column) : path_(std::move(path)), column_(std::move(column)) {}
  NulTexts(const NulTexts&) = delete;
  NulTexts& operator=(const NulTexts&) = delete;
  ~NulTexts();
  void check(std::string& text, int64_t line) {
    if (text.find('\0') == std::string::npos) return;
    for (auto& c : text) {
      if (c == '\0') c = ' ';
    }
    if (texts_++ == 0) first_line_ = line;
  }

 private:
  std::string path_, column_;
  int64_t texts_ = 0, first_line_ = 0;
};

/// Number of line breaks (CRLF, LF or lone CR) in `text`.
int64_t count_line_breaks(std::string_view text);

}  // namespace fm::data_detail
