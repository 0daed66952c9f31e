#include "fm/io/json_text.h"

#include <algorithm>
#include <cctype>

namespace fm {

JsonTextError::JsonTextError(std::size_t line, std::size_t column, const std::string& reason)
    : std::runtime_error(std::to_string(line) + ":" + std::to_string(column) + ": " + reason),
      line_(line),
      column_(column),
      reason_(reason) {}

std::pair<std::size_t, std::size_t> text_position(std::string_view text, std::size_t offset) {
  const std::size_t pos = std::min(offset, text.size());
  const auto begin = text.begin();
  const std::size_t line =
      1 + static_cast<std::size_t>(std::count(begin, begin + static_cast<std::ptrdiff_t>(pos), '\n'));
  const std::size_t last_newline = pos == 0 ? std::string_view::npos : text.rfind('\n', pos - 1);
  const std::size_t column = last_newline == std::string_view::npos ? pos + 1 : pos - last_newline;
  return {line, column};
}

std::string json_error_text(const std::exception& e) {
  std::string what = e.what();
  if (what.rfind("[json.exception.", 0) == 0) {
    const auto end = what.find("] ");
    if (end != std::string::npos) what = what.substr(end + 2);
  }
  return what;
}

namespace {

[[noreturn]] void fail_at(std::string_view text, std::size_t offset, const std::string& reason) {
  const auto [line, column] = text_position(text, offset);
  throw JsonTextError(line, column, "malformed JSON: " + reason);
}

/// Calls visit(i) for each byte offset i of `text` that is outside JSON strings (their quotes
/// excluded) until it returns false.
template <typename Visit>
void scan_outside_strings(std::string_view text, Visit&& visit) {
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (!visit(i)) {
      return;
    }
  }
}

/// Offset of the first `token` outside strings that stands alone as a number, or npos.
std::size_t find_number_token(std::string_view text, std::string_view token) {
  std::size_t found = std::string_view::npos;
  scan_outside_strings(text, [&](std::size_t i) {
    const char before = i == 0 ? ' ' : text[i - 1];
    const bool starts = !(std::isalnum(static_cast<unsigned char>(before)) || before == '.' ||
                          before == '-' || before == '+');
    if (starts && text.compare(i, token.size(), token) == 0) found = i;
    return found == std::string_view::npos;
  });
  return found;
}

}  // namespace

void check_json_depth(std::string_view text, int max_depth) {
  int depth = 0;
  scan_outside_strings(text, [&](std::size_t i) {
    const char c = text[i];
    if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        fail_at(text, i, "nested deeper than " + std::to_string(max_depth) + " levels");
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
    return true;
  });
}

void throw_json_text_error(std::string_view text, const std::exception& e) {
  const std::string reason = json_error_text(e);
  if (const auto* parse = dynamic_cast<const nlohmann::json::parse_error*>(&e)) {
    // "parse error at line 1, column 8: syntax error ..." → the part after the position, which
    // is recomputed from the byte offset (nlohmann's column is wrong after a newline in 3.11).
    const std::size_t at = reason.find("parse error");
    const std::size_t colon = at == std::string::npos ? std::string::npos : reason.find(": ", at);
    fail_at(text, parse->byte == 0 ? 0 : parse->byte - 1,
            colon == std::string::npos ? reason : reason.substr(colon + 2));
  }
  // out_of_range.406 "number overflow parsing '1e309'" carries no position: find the number.
  const std::size_t quote = reason.find('\'');
  const std::size_t end = quote == std::string::npos ? quote : reason.find('\'', quote + 1);
  std::size_t offset = std::string_view::npos;
  if (end != std::string::npos && end > quote + 1) {
    offset = find_number_token(text, std::string_view(reason).substr(quote + 1, end - quote - 1));
  }
  fail_at(text, offset == std::string_view::npos ? text.size() : offset, reason);
}

}  // namespace fm
