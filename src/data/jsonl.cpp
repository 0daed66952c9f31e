#include <algorithm>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "data/checks.h"
#include "data/readers.h"

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
  while (pos < content.size()) {
    ++line;
    std::size_t end = content.find('\n', pos);
    if (end == std::string_view::npos) end = content.size();
    std::string_view text = content.substr(pos, end - pos);
    pos = end + 1;
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;

    std::size_t bad = find_invalid_utf8(text);
    if (bad != std::string_view::npos) {
      fail(path, line, "invalid UTF-8 at byte " + std::to_string(bad) + " of the line");
    }
    json object;
    try {
      object = json::parse(text.data(), text.data() + text.size());
    } catch (const json::parse_error& e) {
      fail(path, line, "malformed JSON: " + short_parse_message(e.what()));
    }
    if (!object.is_object()) {
      fail(path, line, std::string("expected a JSON object, found ") + object.type_name());
    }
    auto lookup = [&](const std::string& key) -> const json& {
      auto it = object.find(key);
      if (it == object.end()) {
        fail(path, line,
             "missing key \"" + printable(key) + "\"" +
                 describe_choices("keys", key, keys_of(object)));
      }
      return *it;
    };
    auto wrong_type = [&](const std::string& key, const char* expected, const json& value) {
      std::string found = value.type_name();
      if (value.is_number()) found += " " + value.dump();
      fail(path, line, "key \"" + printable(key) + "\" must be " + expected + ", found " + found);
    };

    Example example;
    example.line = line;

    const json& text_value = lookup(columns.text_column);
    if (!text_value.is_string()) wrong_type(columns.text_column, "a string", text_value);
    example.text = text_value.get<std::string>();

    const char* kLabelTypes = "a string, integer or boolean";
    auto label_it = columns.label_column.empty() ? object.end() : object.find(columns.label_column);
    const bool has_label = label_it != object.end() && !label_it->is_null();
    if (columns.require_label && !has_label) {
      if (label_it == object.end()) lookup(columns.label_column);
      wrong_type(columns.label_column, kLabelTypes, *label_it);
    }
    if (!has_label) data.has_labels = false;
    if (has_label) {
      const json& value = *label_it;
      if (value.is_string()) {
        example.label = value.get<std::string>();
      } else if (value.is_boolean()) {
        example.label = value.get<bool>() ? "true" : "false";
      } else if (value.is_number_integer()) {
        example.label = integer_text(value);
      } else if (!value.is_number_float() || !integral_text(value.get<double>(), example.label)) {
        wrong_type(columns.label_column, kLabelTypes, value);
      }
      if (columns.require_label && example.label.empty()) {
        fail(path, line, "empty label in key \"" + printable(columns.label_column) + "\"");
      }
    }

    example.groups.reserve(columns.group_columns.size());
    for (const auto& key : columns.group_columns) {
      const json& value = lookup(key);
      std::string group;
      if (value.is_string()) {
        group = value.get<std::string>();
      } else if (value.is_boolean()) {
        group = value.get<bool>() ? "true" : "false";
      } else if (value.is_number_integer()) {
        group = integer_text(value);
      } else if (value.is_number_float()) {
        if (!integral_text(value.get<double>(), group)) group = value.dump();
      } else if (!value.is_null()) {
        wrong_type(key, "a string, number, boolean or null", value);
      }
      example.groups.push_back(std::move(group));
    }

    if (columns.id_column.empty()) {
      example.id = std::to_string(data.examples.size());
    } else {
      const json& value = lookup(columns.id_column);
      if (value.is_string()) {
        example.id = value.get<std::string>();
      } else if (value.is_number_integer()) {
        example.id = integer_text(value);
      } else {
        wrong_type(columns.id_column, "a string or integer", value);
      }
    }
    data.examples.push_back(std::move(example));
  }
  if (data.examples.empty()) fail(path, 0, "no examples");
  return data;
}

}  // namespace fm::data_detail
