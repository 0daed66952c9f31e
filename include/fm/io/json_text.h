#pragma once
/// \file
/// Parsing JSON text with errors a person can act on: "LINE:COLUMN: reason" for every failure
/// (nlohmann gives a byte offset for syntax errors and no position at all for a number that
/// overflows a double), and a nesting limit, so that hostile input (`[[[[…` 300 000 deep) is refused
/// in linear time instead of exhausting the stack or memory of whatever walks the value later.
/// Every JSON reader in fmkit (configs, policies, run files, tokenizer, baselines, JSONL lines,
/// identity terms) parses through here and prefixes its own file name and error type.

#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace fm {

/// Deeper than anything fmkit reads (its configs nest about 5 levels).
constexpr int kMaxJsonDepth = 256;

/// A JSON text fmkit will not use. what() is "LINE:COLUMN: reason" (1-based), e.g.
/// "3:18: malformed JSON: number overflow parsing '1e309'" or "1:257: malformed JSON: nested
/// deeper than 256 levels"; callers prepend "FILE:".
class JsonTextError : public std::runtime_error {
 public:
  JsonTextError(std::size_t line, std::size_t column, const std::string& reason);
  std::size_t line() const { return line_; }
  std::size_t column() const { return column_; }
  /// The reason alone, e.g. "malformed JSON: syntax error while parsing value - unexpected ']'".
  const std::string& reason() const { return reason_; }

 private:
  std::size_t line_;
  std::size_t column_;
  std::string reason_;
};

/// Line and column (1-based) of the byte at 0-based offset `offset` of `text`.
std::pair<std::size_t, std::size_t> text_position(std::string_view text, std::size_t offset);

/// The reason of a nlohmann::json exception without its "[json.exception.type.NNN] " prefix, e.g.
/// "number overflow parsing '1e309'".
std::string json_error_text(const std::exception& e);

/// Throws JsonTextError at the first bracket that opens level `max_depth + 1` (brackets inside
/// strings do not count). Linear in the text.
void check_json_depth(std::string_view text, int max_depth = kMaxJsonDepth);

/// Turns an exception nlohmann threw while parsing `text` into a JsonTextError with the position
/// where parsing stopped (for a number overflow: the position of that number).
[[noreturn]] void throw_json_text_error(std::string_view text, const std::exception& e);

/// Parses `text` as one JSON value (nlohmann::json or nlohmann::ordered_json) with the nesting
/// limit; any failure is a JsonTextError.
template <class Json = nlohmann::json>
Json parse_json_text(std::string_view text) {
  check_json_depth(text);
  try {
    return Json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw_json_text_error(text, e);
  }
}

}  // namespace fm
