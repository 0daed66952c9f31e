#include "fm/config/sources.h"

#include <cctype>

#include "fm/config/json_reader.h"
#include "fm/error.h"
#include "fm/io/json_text.h"

namespace fm {
namespace {

/// The JSON path an error message starts with: "a.b[0].c" from "a.b[0].c: ..." or
/// "a.b must be ..."; empty when the message does not start with one.
std::string leading_path(const std::string& message) {
  std::size_t end = 0;
  while (end < message.size()) {
    const char c = message[end];
    const bool path_char = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' ||
                           c == '[' || c == ']' || c == '-';
    if (!path_char) break;
    ++end;
  }
  if (end == 0 || end == message.size()) return "";
  if (message.compare(end, 2, ": ") != 0 && message.compare(end, 6, " must ") != 0) return "";
  return message.substr(0, end);
}

/// Whether `outer` is `inner` or encloses it ("a" encloses "a.b" and "a[0]").
bool encloses(const std::string& outer, const std::string& inner) {
  if (inner.compare(0, outer.size(), outer) != 0) return false;
  return inner.size() == outer.size() || inner[outer.size()] == '.' || inner[outer.size()] == '[';
}

}  // namespace

void ConfigSources::load_file(const std::string& path, const std::string& what) {
  load_document(load_json_file(path, what), path);
}

void ConfigSources::load_document(nlohmann::json document, const std::string& source) {
  if (!document.is_object()) {
    throw ConfigError(source + ": expected an object at the top level, got " +
                      describe_json(document));
  }
  document_ = std::move(document);
  file_ = source;
  set_.clear();
}

void ConfigSources::load_text(const std::string& text, const std::string& source) {
  try {
    load_document(parse_json_unique_keys(text), source);
  } catch (const JsonTextError& e) {
    throw ConfigError(source + ":" + e.what());
  }
}

void ConfigSources::set(const std::string& key, nlohmann::json value, const std::string& source) {
  if (value.is_string()) {
    try {
      require_utf8(value.get_ref<const std::string&>());
    } catch (const ConfigError& e) {
      throw ConfigError(source + ": " + e.what());
    }
  }
  nlohmann::json* node = &document_;
  std::size_t start = 0;
  for (;;) {
    if (!node->is_object()) *node = nlohmann::json::object();
    const std::size_t dot = key.find('.', start);
    const std::string part = key.substr(start, dot == std::string::npos ? dot : dot - start);
    node = &(*node)[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  *node = std::move(value);
  set_.emplace_back(key, source);
}

void ConfigSources::assign(const std::string& assignment) {
  const std::string source = "--set " + assignment;
  try {
    set_json_path(document_, assignment);
  } catch (const ConfigError& e) {
    throw ConfigError(source + ": " + e.what());
  }
  // Recorded as error messages spell the path: numeric segments as indices ("gates[0].max").
  std::string path;
  std::size_t start = 0;
  const std::string key = assignment.substr(0, assignment.find('='));
  for (;;) {
    const std::size_t dot = key.find('.', start);
    const std::string part = key.substr(start, dot == std::string::npos ? dot : dot - start);
    const bool index = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
    path += index ? "[" + part + "]" : (path.empty() ? "" : ".") + part;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  set_.emplace_back(path, source);
}

void ConfigSources::assign_all(const std::vector<std::string>& assignments) {
  for (const auto& a : assignments) assign(a);
}

std::string ConfigSources::source_of(const std::string& json_path) const {
  // The last source to set the path, an enclosing one (it replaced the path's value) or one
  // inside it (it created the path: "trainig" for --set trainig.epochs=3) wins.
  for (auto it = set_.rbegin(); it != set_.rend(); ++it) {
    if (encloses(it->first, json_path) || encloses(json_path, it->first)) return it->second;
  }
  return file_;
}

void ConfigSources::parse(const std::function<void(const nlohmann::json&)>& parse) const {
  try {
    parse(document_);
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    const auto path = leading_path(message);
    const auto source = path.empty() ? file_ : source_of(path);
    if (source.empty()) throw;
    throw ConfigError(source + ": " + message);
  }
}

}  // namespace fm
