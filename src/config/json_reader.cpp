#include "fm/config/json_reader.h"

#include <algorithm>
#include <map>
#include <optional>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <limits>

#include <nlohmann/json.hpp>

#include "fm/error.h"
#include "fm/io/json_text.h"

namespace fm {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxShownChars = 40;
constexpr std::size_t kMaxSuggestDistance = 2;
constexpr std::size_t kMinPrefixChars = 3;
// 2^63 and 2^64 are exact doubles; a double d is representable as int64 iff -2^63 <= d < 2^63.
constexpr double kTwoPow63 = 9223372036854775808.0;
constexpr double kTwoPow64 = 18446744073709551616.0;

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw ConfigError(path + ": " + message);
}

[[noreturn]] void fail_type(const std::string& path, const char* expected, const json& value) {
  fail(path, std::string("expected ") + expected + ", got " + describe_json(value));
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += json(names[i]).dump();
  }
  return out;
}

std::string suggestion_suffix(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string best = did_you_mean(word, candidates);
  return best.empty() ? std::string() : " (did you mean " + json(best).dump() + "?)";
}

bool is_integral(double d) { return std::isfinite(d) && std::trunc(d) == d; }

int64_t to_int64(const json& value, const std::string& path) {
  if (value.is_number_unsigned()) {
    const auto u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      fail_type(path, "an integer that fits in 64 signed bits", value);
    }
    return static_cast<int64_t>(u);
  }
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_float()) {
    const auto d = value.get<double>();
    if (!is_integral(d)) fail_type(path, "an integer", value);
    if (d < -kTwoPow63 || d >= kTwoPow63) {
      fail_type(path, "an integer that fits in 64 signed bits", value);
    }
    return static_cast<int64_t>(d);
  }
  fail_type(path, "an integer", value);
}

uint64_t to_uint64(const json& value, const std::string& path) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer()) {
    const auto i = value.get<int64_t>();
    if (i < 0) fail_type(path, "a non-negative integer", value);
    return static_cast<uint64_t>(i);
  }
  if (value.is_number_float()) {
    const auto d = value.get<double>();
    if (!is_integral(d)) fail_type(path, "a non-negative integer", value);
    if (d < 0) fail_type(path, "a non-negative integer", value);
    if (d >= kTwoPow64) fail_type(path, "an integer that fits in 64 unsigned bits", value);
    return static_cast<uint64_t>(d);
  }
  fail_type(path, "a non-negative integer", value);
}

double to_double(const json& value, const std::string& path) {
  if (!value.is_number()) fail_type(path, "a number", value);
  return value.get<double>();
}

std::string to_string_value(const json& value, const std::string& path) {
  if (!value.is_string()) fail_type(path, "a string", value);
  return value.get<std::string>();
}

const json& empty_object() {
  static const json kEmpty = json::object();
  return kEmpty;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rolling rows of the optimal-string-alignment table: prev2 (i-2), prev (i-1), cur (i).
  std::vector<std::size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string w = lowercase(word);
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  const std::string* best = nullptr;
  for (const auto& candidate : candidates) {
    const std::size_t d = edit_distance(w, lowercase(candidate));
    if (d < best_distance) {
      best_distance = d;
      best = &candidate;
    }
  }
  // A short word is within distance 2 of every other short word; require it to keep a character.
  if (best != nullptr && best_distance <= kMaxSuggestDistance && best_distance < w.size()) {
    return *best;
  }
  for (const auto& candidate : candidates) {
    const std::string c = lowercase(candidate);
    if ((w.size() >= kMinPrefixChars && starts_with(c, w)) ||
        (c.size() >= kMinPrefixChars && starts_with(w, c))) {
      return candidate;
    }
  }
  return {};
}

void require_utf8(const std::string& text) {
  try {
    (void)nlohmann::json(text).dump();
  } catch (const nlohmann::json::type_error& e) {  // 316: invalid UTF-8 byte at index N
    throw ConfigError("the value is not valid UTF-8 (" + json_error_text(e) + ")");
  }
}

std::string describe_json(const json& value) {
  const char* type = nullptr;
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      type = "boolean";
      break;
    case json::value_t::string:
      type = "string";
      break;
    case json::value_t::array:
      type = "array";
      break;
    case json::value_t::object:
      type = "object";
      break;
    case json::value_t::binary:
      type = "binary";
      break;
    default:
      type = "number";
      break;
  }
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > kMaxShownChars) text = text.substr(0, kMaxShownChars - 3) + "...";
  return std::string(type) + " " + text;
}

std::string join_json_path(std::string_view path, std::string_view key) {
  std::string out(path);
  if (!out.empty()) out += '.';
  out += key;
  return out;
}

JsonObjectReader::JsonObjectReader(const json& object, std::string path)
    : object_(&object), path_(std::move(path)) {
  if (!object.is_object()) {
    if (path_.empty()) {
      throw ConfigError("expected an object at the top level, got " + describe_json(object));
    }
    fail_type(path_, "an object", object);
  }
}

const json* JsonObjectReader::get(const std::string& key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.push_back(key);
  const auto it = object_->find(key);
  return it == object_->end() ? nullptr : &*it;
}

void JsonObjectReader::read(const std::string& key, bool& field) {
  const json* value = get(key);
  if (value == nullptr) return;
  if (!value->is_boolean()) fail_type(key_path(key), "a boolean", *value);
  field = value->get<bool>();
}

void JsonObjectReader::read(const std::string& key, int64_t& field) {
  const json* value = get(key);
  if (value != nullptr) field = to_int64(*value, key_path(key));
}

void JsonObjectReader::read(const std::string& key, uint64_t& field) {
  const json* value = get(key);
  if (value != nullptr) field = to_uint64(*value, key_path(key));
}

void JsonObjectReader::read(const std::string& key, double& field) {
  const json* value = get(key);
  if (value != nullptr) field = to_double(*value, key_path(key));
}

void JsonObjectReader::read(const std::string& key, std::string& field) {
  const json* value = get(key);
  if (value != nullptr) field = to_string_value(*value, key_path(key));
}

void JsonObjectReader::read(const std::string& key, std::optional<int64_t>& field) {
  const json* value = get(key);
  if (value == nullptr) return;
  if (value->is_null()) {
    field.reset();
  } else {
    field = to_int64(*value, key_path(key));
  }
}

void JsonObjectReader::read(const std::string& key, std::optional<double>& field) {
  const json* value = get(key);
  if (value == nullptr) return;
  if (value->is_null()) {
    field.reset();
  } else {
    field = to_double(*value, key_path(key));
  }
}

void JsonObjectReader::read(const std::string& key, std::optional<std::string>& field) {
  const json* value = get(key);
  if (value == nullptr) return;
  if (value->is_null()) {
    field.reset();
  } else {
    field = to_string_value(*value, key_path(key));
  }
}

void JsonObjectReader::read(const std::string& key, std::vector<std::string>& field) {
  const json* value = get(key);
  if (value == nullptr) return;
  const std::string path = key_path(key);
  if (!value->is_array()) fail_type(path, "an array of strings", *value);
  std::vector<std::string> items;
  items.reserve(value->size());
  for (std::size_t i = 0; i < value->size(); ++i) {
    items.push_back(to_string_value((*value)[i], path + "[" + std::to_string(i) + "]"));
  }
  field = std::move(items);
}

void JsonObjectReader::read_enum(const std::string& key, std::string& field,
                                 const std::vector<std::string>& allowed) {
  const std::optional<std::size_t> index = read_choice(key, allowed);
  if (index) field = allowed[*index];
}

std::optional<std::size_t> JsonObjectReader::read_choice(const std::string& key,
                                                         const std::vector<std::string>& names) {
  const json* value = get(key);
  if (value == nullptr) return std::nullopt;
  const std::string path = key_path(key);
  const std::string expected = "one of " + quoted_list(names);
  if (!value->is_string()) fail_type(path, expected.c_str(), *value);
  const auto& s = value->get_ref<const std::string&>();
  const auto it = std::find(names.begin(), names.end(), s);
  if (it == names.end()) {
    fail(path,
         "expected " + expected + ", got " + describe_json(*value) + suggestion_suffix(s, names));
  }
  return static_cast<std::size_t>(it - names.begin());
}

JsonObjectReader JsonObjectReader::child(const std::string& key) {
  const json* value = get(key);
  return JsonObjectReader(value == nullptr ? empty_object() : *value, key_path(key));
}

std::vector<JsonObjectReader> JsonObjectReader::child_array(const std::string& key) {
  const json* value = get(key);
  std::vector<JsonObjectReader> readers;
  if (value == nullptr) return readers;
  const std::string path = key_path(key);
  if (!value->is_array()) fail_type(path, "an array of objects", *value);
  readers.reserve(value->size());
  for (std::size_t i = 0; i < value->size(); ++i) {
    readers.emplace_back((*value)[i], path + "[" + std::to_string(i) + "]");
  }
  return readers;
}

void JsonObjectReader::finish() const {
  for (const auto& item : object_->items()) {
    const std::string& key = item.key();
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    const std::string suggestion = did_you_mean(key, known_);
    if (!suggestion.empty()) {
      fail(key_path(key), "unknown key (did you mean " + json(suggestion).dump() + "?)");
    }
    if (known_.empty()) fail(key_path(key), "unknown key (this object takes no keys)");
    fail(key_path(key), "unknown key (valid keys: " + quoted_list(known_) + ")");
  }
}

namespace {

nlohmann::json parse_override_value(const std::string& text) {
  try {
    return parse_json_text(text);
  } catch (const JsonTextError&) {
    require_utf8(text);
    return nlohmann::json(text);
  }
}

/// One object or array being parsed, for the duplicate-key check.
struct JsonFrame {
  bool object = false;
  std::string path;
  std::size_t index = 0;                      // arrays: the next element
  std::string key;                            // objects: the key whose value comes next
  std::map<std::string, std::string> values;  // objects: key -> its value (shortened JSON)
  std::optional<std::string> duplicate_of;     // objects: the earlier value of `key`, repeated
};

std::string shortened(const nlohmann::json& value) {
  auto text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}

bool is_index(const std::string& key) {
  return !key.empty() && key.size() < 10 &&
         std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

nlohmann::json parse_json_unique_keys(const std::string& text) {
  check_json_depth(text);  // the paths below grow with the depth
  std::vector<JsonFrame> stack;
  auto child_path = [&]() {
    if (stack.empty()) return std::string();
    auto& f = stack.back();
    return f.object ? join_json_path(f.path, f.key) : f.path + "[" + std::to_string(f.index) + "]";
  };
  auto record = [&](const nlohmann::json& value) {
    if (stack.empty()) return;
    auto& f = stack.back();
    if (!f.object) {
      ++f.index;
      return;
    }
    if (f.duplicate_of) {
      throw ConfigError(join_json_path(f.path, f.key) + ": duplicate key (values " +
                        *f.duplicate_of + " and " + shortened(value) +
                        "; JSON would silently keep the last, so fmkit refuses)");
    }
    f.values[f.key] = shortened(value);
  };
  using Event = nlohmann::json::parse_event_t;
  auto callback = [&](int, Event event, nlohmann::json& parsed) {
    switch (event) {
      case Event::object_start:
      case Event::array_start: {
        JsonFrame frame;
        frame.object = event == Event::object_start;
        frame.path = child_path();
        stack.push_back(std::move(frame));
        break;
      }
      case Event::key: {
        auto& f = stack.back();
        f.key = parsed.get<std::string>();
        const auto seen = f.values.find(f.key);
        if (seen != f.values.end()) f.duplicate_of = seen->second;
        break;
      }
      case Event::object_end:
      case Event::array_end:
        stack.pop_back();
        record(parsed);
        break;
      case Event::value:
        record(parsed);
        break;
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text, callback);
  } catch (const nlohmann::json::exception& e) {
    throw_json_text_error(text, e);
  }
}

nlohmann::json load_json_file(const std::string& path, const std::string& what) {
  if (std::filesystem::is_directory(path)) {
    throw ConfigError(path + ": cannot open " + what + ": is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open " + what + ": " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw ConfigError(path + ": cannot read " + what + ": " + std::strerror(errno));
  const std::string text = buffer.str();
  try {
    return parse_json_unique_keys(text);
  } catch (const JsonTextError& e) {
    throw ConfigError(path + ":" + e.what());
  } catch (const ConfigError& e) {
    throw ConfigError(path + ": " + e.what());
  }
}

void set_json_path(nlohmann::json& root, const std::string& assignment) {
  const std::size_t eq = assignment.find('=');
  const std::string syntax_error = "expected key.path=value";
  if (eq == std::string::npos || eq == 0) throw ConfigError(syntax_error);
  std::vector<std::string> keys;
  std::stringstream key_stream(assignment.substr(0, eq));
  for (std::string key; std::getline(key_stream, key, '.');) keys.push_back(key);
  if (assignment[eq - 1] == '.' ||
      std::any_of(keys.begin(), keys.end(), [](const std::string& k) { return k.empty(); })) {
    throw ConfigError(syntax_error);
  }
  nlohmann::json* node = &root;
  std::string path;
  auto element = [&](const std::string& key) -> nlohmann::json& {
    const std::size_t index = std::stoul(key);
    if (index >= node->size()) {
      throw ConfigError(path + "[" + key + "]: index out of range (" +
                        std::to_string(node->size()) + " elements)");
    }
    path += "[" + key + "]";
    return (*node)[index];
  };
  for (std::size_t i = 0; i + 1 < keys.size(); ++i) {
    if (node->is_array() && is_index(keys[i])) {
      node = &element(keys[i]);
      continue;
    }
    if (node->is_array()) throw ConfigError(path + ": expected an index, got \"" + keys[i] + "\"");
    path = join_json_path(path, keys[i]);
    nlohmann::json& next = (*node)[keys[i]];
    if (next.is_null()) next = nlohmann::json::object();
    if (!next.is_object() && !next.is_array()) {
      throw ConfigError(path + ": expected an object, got " + describe_json(next));
    }
    node = &next;
  }
  auto value = parse_override_value(assignment.substr(eq + 1));
  if (node->is_array()) {
    if (!is_index(keys.back())) {
      throw ConfigError(path + ": expected an index, got \"" + keys.back() + "\"");
    }
    element(keys.back()) = std::move(value);
  } else {
    (*node)[keys.back()] = std::move(value);
  }
}

}  // namespace fm
