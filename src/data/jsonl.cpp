#include <algorithm>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "data/checks.h"
#include "data/readers.h"
#include "fm/io/json_text.h"

namespace fm::data_detail {
namespace {

using nlohmann::json;

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 1, column 5: ...";
// the file and line are already in our prefix, so keep "column 5: ...".
std::string short_parse_message(const std::string& what) {
  std::string message = what;
  auto bracket = message.find("] ");
  if (message.rfind("[json.exception.", 0) == 0 && bracket != std::string::npos) {
    message.erase(0, bracket + 2);
  }
  const std::string at_line = "parse error at line 1, ";
  if (message.rfind(at_line, 0) == 0) message.erase(0, at_line.size());
  constexpr std::size_t kMaxLength = 160;
  if (message.size() > kMaxLength) message = message.substr(0, kMaxLength) + "...";
  return message;
}

std::vector<std::string> keys_of(const json& object) {
  std::vector<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.push_back(it.key());
  return keys;
}

/// Integral doubles print as integers (JSON does not tell 1 from 1.0); returns false otherwise.
bool integral_text(double value, std::string& out) {
  if (!std::isfinite(value) || value != std::floor(value) || std::fabs(value) >= 9.2e18) {
    return false;
  }
  out = std::to_string(static_cast<long long>(value));
  return true;
}

std::string integer_text(const json& value) {
  return value.is_number_unsigned() ? std::to_string(value.get<std::uint64_t>())
                                    : std::to_string(value.get<std::int64_t>());
}

/// A string, boolean or integer value as text ("true"/"false", decimal); false for other types.
bool scalar_text(const json& value, std::string& out) {
  if (value.is_string()) {
    out = value.get<std::string>();
  } else if (value.is_boolean()) {
    out = value.get<bool>() ? "true" : "false";
  } else if (value.is_number_integer()) {
    out = integer_text(value);
  } else {
    return false;
  }
  return true;
}

/// Line `line` of `text` as a JSON object; fails on invalid UTF-8, bad JSON or another value.
json parse_object(const std::string& path, int64_t line, std::string_view text) {
  std::size_t bad = find_invalid_utf8(text);
  if (bad != std::string_view::npos) {
    fail(path, line, "invalid UTF-8 at byte " + std::to_string(bad) + " of the line");
  }
  try {
    check_json_depth(text);
  } catch (const JsonTextError& e) {
    fail(path, line, e.reason() + " (column " + std::to_string(e.column()) + ")");
  }
  json object;
  try {
    object = json::parse(text.data(), text.data() + text.size());
  } catch (const json::parse_error& e) {
    fail(path, line, "malformed JSON: " + short_parse_message(e.what()));
  } catch (const json::exception& e) {
    // e.g. out_of_range.406 for 1e309; the reason without nlohmann's "[json.exception...] ".
    const std::string what = e.what();
    const auto end = what.find("] ");
    fail(path, line, "malformed JSON: " + (end == std::string::npos ? what : what.substr(end + 2)));
  }
  if (!object.is_object()) {
    fail(path, line, std::string("expected a JSON object, found ") + object.type_name());
  }
  return object;
}

/// The object on one line, with the place its errors name.
struct LineObject {
  const std::string& path;
  int64_t line;
  const json& object;

  const json& lookup(const std::string& key) const {
    auto it = object.find(key);
    if (it == object.end()) {
      fail(path, line,
           "missing key \"" + printable(key) + "\"" +
               describe_choices("keys", key, keys_of(object)));
    }
    return *it;
  }
  [[noreturn]] void wrong_type(const std::string& key, const char* expected,
                               const json& value) const {
    std::string found = value.type_name();
    if (value.is_number()) found += " " + value.dump();
    fail(path, line, "key \"" + printable(key) + "\" must be " + expected + ", found " + found);
  }
};

std::string read_text(const LineObject& at, const std::string& key) {
  const json& value = at.lookup(key);
  if (!value.is_string()) at.wrong_type(key, "a string", value);
  return value.get<std::string>();
}

/// Reads the label into `label`; false when the line has none (no key, or null).
bool read_label(const LineObject& at, const ColumnSpec& columns, std::string& label) {
  const char* kLabelTypes = "a string, integer or boolean";
  const json& object = at.object;
  auto label_it = columns.label_column.empty() ? object.end() : object.find(columns.label_column);
  const bool has_label = label_it != object.end() && !label_it->is_null();
  if (columns.require_label && !has_label) {
    // No key (lookup fails naming it), or null. An empty label_column never matched above, yet
    // lookup("") finds a "" key: report that value rather than dereference end() (fuzzing).
    const json& value = label_it == object.end() ? at.lookup(columns.label_column) : *label_it;
    at.wrong_type(columns.label_column, kLabelTypes, value);
  }
  if (!has_label) return false;
  const json& value = *label_it;
  if (!scalar_text(value, label) &&
      (!value.is_number_float() || !integral_text(value.get<double>(), label))) {
    at.wrong_type(columns.label_column, kLabelTypes, value);
  }
  if (columns.require_label && label.empty()) {
    fail(at.path, at.line, "empty label in key \"" + printable(columns.label_column) + "\"");
  }
  return true;
}

std::string read_group(const LineObject& at, const std::string& key) {
  const json& value = at.lookup(key);
  std::string group;
  if (scalar_text(value, group)) return group;
  if (value.is_number_float()) {
    if (!integral_text(value.get<double>(), group)) group = value.dump();
  } else if (!value.is_null()) {
    at.wrong_type(key, "a string, number, boolean or null", value);
  }
  return group;
}

std::string read_id(const LineObject& at, const std::string& key) {
  const json& value = at.lookup(key);
  if (value.is_string()) return value.get<std::string>();
  if (!value.is_number_integer()) at.wrong_type(key, "a string or integer", value);
  return integer_text(value);
}

/// The example on one line, the `index`th of the file; clears data.has_labels when it has no label.
Example read_example(const LineObject& at, const ColumnSpec& columns, std::size_t index,
                     Dataset& data) {
  Example example;
  example.line = at.line;
  example.text = read_text(at, columns.text_column);
  if (!read_label(at, columns, example.label)) data.has_labels = false;
  example.groups.reserve(columns.group_columns.size());
  for (const auto& key : columns.group_columns) example.groups.push_back(read_group(at, key));
  example.id = columns.id_column.empty() ? std::to_string(index) : read_id(at, columns.id_column);
  return example;
}

}  // namespace

Dataset read_jsonl_dataset(const std::string& path, std::string_view content,
                           const ColumnSpec& columns) {
  Dataset data;
  data.path = path;
  data.group_columns = columns.group_columns;
  data.has_labels = !columns.label_column.empty();
  data.examples.reserve(static_cast<std::size_t>(std::count(content.begin(), content.end(), '\n')) +
                        1);

  std::size_t pos = 0;
  if (content.size() >= 3 && std::memcmp(content.data(), "\xEF\xBB\xBF", 3) == 0) pos = 3;
  int64_t line = 0;
  NulTexts nul_texts(path, columns.text_column);
  while (pos < content.size()) {
    ++line;
    std::size_t end = content.find('\n', pos);
    if (end == std::string_view::npos) end = content.size();
    std::string_view text = content.substr(pos, end - pos);
    pos = end + 1;
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;

    const json object = parse_object(path, line, text);
    data.examples.push_back(
        read_example(LineObject{path, line, object}, columns, data.examples.size(), data));
    nul_texts.check(data.examples.back().text, line);
  }
  if (data.examples.empty()) fail(path, 0, "no examples");
  return data;
}

}  // namespace fm::data_detail
