// Tokenizer's JSON I/O in the layout of Keras' Tokenizer.to_json() / tokenizer_from_json.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fm/error.h"
#include "fm/io/json_text.h"
#include "fm/text/tokenizer.h"
#include "text/tokenizer_impl.h"

namespace fm {

namespace {

using OrderedJson = nlohmann::ordered_json;

[[noreturn]] void json_error(const std::string& path, const std::string& what) {
  throw DataError("tokenizer JSON: " + path + ": " + what);
}

const OrderedJson& require(const OrderedJson& object, const char* key, const std::string& path) {
  auto it = object.find(key);
  if (it == object.end()) json_error(path + "." + key, "missing");
  return *it;
}

/// One member of an embedded object, in document order.
struct FlatItem {
  std::string k;
  OrderedJson v;
  const std::string& key() const { return k; }
  const OrderedJson& value() const { return v; }
};

/// A JSON object of scalars as its members in document order. Keras' word_counts / word_index
/// hold one member per word (10^5 and more): ordered_json would check every insertion against
/// every earlier key (quadratic — 18 s for a 150k-word vocabulary), so these are read with a SAX
/// handler and a hash index instead. A repeated key keeps its first position and its last value,
/// as ordered_json's parser does.
class FlatObject {
 public:
  const std::vector<FlatItem>& items() const { return items_; }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

  /// nlohmann::json SAX interface (only a flat object is accepted as the top level; a nested
  /// value is kept as an empty object/array so that the callers' type checks reject it).
  using json = nlohmann::json;
  bool null() { return scalar(OrderedJson(nullptr)); }
  bool boolean(bool v) { return scalar(OrderedJson(v)); }
  bool number_integer(json::number_integer_t v) { return scalar(OrderedJson(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return scalar(OrderedJson(v)); }
  bool number_float(json::number_float_t v, const json::string_t&) { return scalar(OrderedJson(v)); }
  bool string(json::string_t& v) { return scalar(OrderedJson(std::move(v))); }
  bool binary(json::binary_t&) { return scalar(OrderedJson(nullptr)); }
  bool start_object(std::size_t) { return open(OrderedJson::object()); }
  bool start_array(std::size_t) {
    if (depth_ == 0) top_is_object_ = false;
    return open(OrderedJson::array());
  }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(json::string_t& k) {
    if (depth_ == 1) key_ = std::move(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    error_ = e.what();
    return false;
  }

  bool top_is_object() const { return top_is_object_ && seen_top_; }
  const std::string& error() const { return error_; }

 private:
  bool open(OrderedJson empty) {
    if (depth_ == 0) {
      seen_top_ = true;
    } else if (depth_ == 1) {
      scalar(std::move(empty));
    }
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    return true;
  }
  bool scalar(OrderedJson v) {
    if (depth_ == 0) {
      top_is_object_ = false;
      seen_top_ = true;
      return true;
    }
    if (depth_ != 1) return true;  // inside a nested value: skipped
    auto [it, inserted] = index_.emplace(key_, items_.size());
    if (inserted) {
      items_.push_back({key_, std::move(v)});
    } else {
      items_[it->second].v = std::move(v);
    }
    return true;
  }

  std::vector<FlatItem> items_;
  std::unordered_map<std::string, std::size_t> index_;
  std::string key_;
  std::string error_;
  int depth_ = 0;
  bool seen_top_ = false;
  bool top_is_object_ = true;
};

FlatObject parse_embedded_object(const OrderedJson& config, const char* key) {
  const std::string path = std::string("config.") + key;
  const OrderedJson& value = require(config, key, "config");
  if (!value.is_string()) json_error(path, "expected a string holding a JSON object");
  FlatObject parsed;
  const auto& text = value.get_ref<const std::string&>();
  if (!nlohmann::json::sax_parse(text, &parsed)) {
    json_error(path, "invalid embedded JSON (" + parsed.error() + ")");
  }
  if (!parsed.top_is_object()) json_error(path, "expected a string holding a JSON object");
  return parsed;
}

int64_t as_int(const OrderedJson& value, const std::string& path) {
  if (!value.is_number_integer()) json_error(path, "expected an integer");
  return value.get<int64_t>();
}

std::string dump(const OrderedJson& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/true);
}

// One of to_json's five embedded objects, which hold one member per word. ordered_json searches
// its keys linearly on every insertion (quadratic: 15 s of fm-train on a 59k-word vocabulary), so
// they are written member by member instead — keys are distinct by construction — with nlohmann's
// escaping, which gives the same text.
class ObjectWriter {
 public:
  void add(const std::string& key, const std::string& value_json) {
    out_ += out_.empty() ? '{' : ',';
    out_ += dump(OrderedJson(key));
    out_ += ':';
    out_ += value_json;
  }
  std::string finish() {
    if (out_.empty()) return "{}";
    out_ += '}';
    return std::move(out_);
  }

 private:
  std::string out_;
};

void check_known_keys(const OrderedJson& config) {
  static const char* const kKnownKeys[] = {
      "num_words",      "filters",     "lower",     "split",      "char_level", "oov_token",
      "document_count", "word_counts", "word_docs", "index_docs", "index_word", "word_index"};
  for (const auto& item : config.items()) {
    if (std::find_if(std::begin(kKnownKeys), std::end(kKnownKeys), [&](const char* k) {
          return item.key() == k;
        }) == std::end(kKnownKeys)) {
      json_error("config." + item.key(), "unknown key");
    }
  }
}

TokenizerOptions read_options(const OrderedJson& config) {
  TokenizerOptions options;
  if (auto it = config.find("num_words"); it != config.end() && !it->is_null()) {
    options.num_words = as_int(*it, "config.num_words");
  }
  auto read_string = [&](const char* key, std::string& out) {
    auto it = config.find(key);
    if (it == config.end()) return;
    if (!it->is_string()) json_error(std::string("config.") + key, "expected a string");
    out = it->get<std::string>();
  };
  auto read_bool = [&](const char* key, bool& out) {
    auto it = config.find(key);
    if (it == config.end()) return;
    if (!it->is_boolean()) json_error(std::string("config.") + key, "expected true or false");
    out = it->get<bool>();
  };
  read_string("filters", options.filters);
  read_string("split", options.split);
  read_bool("lower", options.lower);
  read_bool("char_level", options.char_level);
  if (auto it = config.find("oov_token"); it != config.end() && !it->is_null()) {
    if (!it->is_string()) json_error("config.oov_token", "expected a string or null");
    options.oov_token = it->get<std::string>();
  }
  return options;
}

}  // namespace

std::string Tokenizer::to_json() const { return impl_->to_json(); }

Tokenizer Tokenizer::from_json(std::string_view json) {
  OrderedJson root;
  try {
    root = parse_json_text<OrderedJson>(json);
  } catch (const JsonTextError& e) {
    throw DataError(std::string("tokenizer JSON: ") + e.what());
  }
  if (!root.is_object()) json_error("$", "expected an object");
  if (auto it = root.find("class_name"); it != root.end() && *it != "Tokenizer") {
    json_error("class_name", "expected \"Tokenizer\"");
  }
  const OrderedJson& config = require(root, "config", "$");
  if (!config.is_object()) json_error("config", "expected an object");
  check_known_keys(config);
  std::optional<Tokenizer> built;
  try {
    built.emplace(read_options(config));
  } catch (const ConfigError& e) {
    throw DataError(std::string("tokenizer JSON: config: ") + e.what());
  }
  built->impl_->read_json(config);
  return std::move(*built);
}

std::string Tokenizer::Impl::to_json() const {
  ObjectWriter word_counts, word_docs, index_docs;
  for (size_t pos = 0; pos < words_.size(); ++pos) {
    word_counts.add(std::string(words_[pos]), std::to_string(stats_[pos].count));
    if (stats_[pos].docs == 0) continue;
    word_docs.add(std::string(words_[pos]), std::to_string(stats_[pos].docs));
    const int64_t index = lookup(words_[pos]);
    if (index != 0) index_docs.add(std::to_string(index), std::to_string(stats_[pos].docs));
  }
  ObjectWriter word_index, index_word;
  for (size_t index = 1; index < index_word_.size(); ++index) {
    if (!index_used_[index]) continue;
    const std::string& word = index_word_[index];
    word_index.add(word, std::to_string(index));
    index_word.add(std::to_string(index), dump(OrderedJson(word)));
  }
  OrderedJson config = OrderedJson::object();
  config["num_words"] = options_.num_words ? OrderedJson(*options_.num_words) : OrderedJson();
  config["filters"] = options_.filters;
  config["lower"] = options_.lower;
  config["split"] = options_.split;
  config["char_level"] = options_.char_level;
  config["oov_token"] = options_.oov_token ? OrderedJson(*options_.oov_token) : OrderedJson();
  config["document_count"] = document_count_;
  config["word_counts"] = word_counts.finish();
  config["word_docs"] = word_docs.finish();
  config["index_docs"] = index_docs.finish();
  config["index_word"] = index_word.finish();
  config["word_index"] = word_index.finish();
  OrderedJson root = OrderedJson::object();
  root["class_name"] = "Tokenizer";
  root["config"] = std::move(config);
  return dump(root);
}

void Tokenizer::Impl::read_json(const OrderedJson& config) {
  if (auto it = config.find("document_count"); it != config.end()) {
    document_count_ = as_int(*it, "config.document_count");
    if (document_count_ < 0) json_error("config.document_count", "must be >= 0");
  }
  read_word_stats(config);
  const FlatObject index_docs = parse_embedded_object(config, "index_docs");
  for (const auto& item : index_docs.items()) {
    as_int(item.value(), "config.index_docs." + item.key());
  }
  const FlatObject index_word = parse_embedded_object(config, "index_word");
  for (const auto& item : index_word.items()) {
    if (!item.value().is_string()) {
      json_error("config.index_word." + item.key(), "expected a string");
    }
  }
  read_word_index(config);
}

void Tokenizer::Impl::read_word_stats(const OrderedJson& config) {
  const FlatObject word_counts = parse_embedded_object(config, "word_counts");
  WordTable positions = take_word_positions();
  for (const auto& item : word_counts.items()) {
    const int64_t count = as_int(item.value(), "config.word_counts." + item.key());
    if (count < 1) json_error("config.word_counts." + item.key(), "expected a count >= 1");
    // (FlatObject has already merged a repeated key into its first position.)
    stats_[add_word(positions, item.key())].count = count;
  }
  set_word_positions(std::move(positions));
  const FlatObject word_docs = parse_embedded_object(config, "word_docs");
  for (const auto& item : word_docs.items()) {
    const std::string path = "config.word_docs." + item.key();
    const int64_t docs = as_int(item.value(), path);
    const size_t pos = find_word(item.key());
    if (pos == words_.size()) json_error(path, "word is missing from word_counts");
    if (docs < 0) json_error(path, "expected a count >= 0");
    stats_[pos].docs = docs;
  }
}

void Tokenizer::Impl::read_word_index(const OrderedJson& config) {
  const FlatObject word_index = parse_embedded_object(config, "word_index");
  // Indices above len(word_index) + 1 cannot come from Keras (see vocab_size) and would make the
  // index table arbitrarily large.
  const int64_t max_index = static_cast<int64_t>(word_index.size()) + 1;
  index_word_.assign(static_cast<size_t>(word_index.empty() ? 0 : max_index + 1), std::string());
  std::vector<char>& used = index_used_;
  used.assign(index_word_.size(), 0);
  int64_t highest = 0;
  for (const auto& item : word_index.items()) {
    const std::string path = "config.word_index." + item.key();
    const int64_t index = as_int(item.value(), path);
    if (index < 1 || index > max_index) {
      json_error(path, "expected an index in [1, " + std::to_string(max_index) + "] (got " +
                           std::to_string(index) + ")");
    }
    if (used[static_cast<size_t>(index)]) {
      json_error(path, "index " + std::to_string(index) + " is used twice");
    }
    used[static_cast<size_t>(index)] = 1;
    highest = std::max(highest, index);
    index_word_[static_cast<size_t>(index)] = item.key();
  }
  if (!word_index.empty()) {
    index_word_.resize(static_cast<size_t>(highest) + 1);
    used.resize(static_cast<size_t>(highest) + 1);
  }
  rebuild_lookup();
  if (options_.oov_token && !word_index.empty() && oov_index_ == 0) {
    json_error("config.word_index", "oov_token \"" + *options_.oov_token + "\" has no index");
  }
}

}  // namespace fm
