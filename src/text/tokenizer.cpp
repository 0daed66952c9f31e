#include "fm/text/tokenizer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <limits>
#include <numeric>
#include <utility>

#include "fm/error.h"
#include "fm/text/unicode.h"

namespace fm {
namespace {

using OrderedJson = nlohmann::ordered_json;

constexpr size_t kNoToken = std::numeric_limits<size_t>::max();

uint64_t hash_word(std::string_view word) { return std::hash<std::string_view>{}(word); }

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }

// True when text[begin, end) is the well-formed encoding of `cp` (an ill-formed sequence decodes
// to U+FFFD, which must then be written out instead of the original bytes).
bool decoded_verbatim(std::string_view text, size_t begin, size_t end, char32_t cp) {
  return cp != kReplacementCharacter || text.substr(begin, end - begin) == "\xEF\xBF\xBD";
}

// Builds tokens either as a view into the input (while nothing has been changed) or in a scratch
// buffer (once lowercasing or U+FFFD replacement altered a byte), so unchanged text costs no copy.
class TokenBuilder {
 public:
  explicit TokenBuilder(std::string_view text) : text_(text) {}

  void keep(size_t begin, size_t end) {
    if (copying_) {
      buffer_.append(text_.data() + begin, end - begin);
    } else if (start_ == kNoToken) {
      start_ = begin;
    }
  }
  void keep_changed_ascii(size_t pos, char c) {
    start_copying(pos);
    buffer_.push_back(c);
  }
  void keep_code_point(size_t pos, char32_t cp) {
    start_copying(pos);
    append_utf8(buffer_, cp);
  }
  template <typename Emit>
  void flush(size_t end, Emit& emit) {
    if (copying_) {
      if (!buffer_.empty()) emit(std::string_view(buffer_));
      buffer_.clear();
      copying_ = false;
    } else if (start_ != kNoToken) {
      emit(text_.substr(start_, end - start_));
    }
    start_ = kNoToken;
  }

 private:
  void start_copying(size_t pos) {
    if (copying_) return;
    if (start_ != kNoToken) buffer_.assign(text_.data() + start_, pos - start_);
    copying_ = true;
  }

  std::string_view text_;
  std::string buffer_;
  size_t start_ = kNoToken;
  bool copying_ = false;
};

[[noreturn]] void json_error(const std::string& path, const std::string& what) {
  throw DataError("tokenizer JSON: " + path + ": " + what);
}

const OrderedJson& require(const OrderedJson& object, const char* key, const std::string& path) {
  auto it = object.find(key);
  if (it == object.end()) json_error(path + "." + key, "missing");
  return *it;
}

OrderedJson parse_embedded_object(const OrderedJson& config, const char* key) {
  const std::string path = std::string("config.") + key;
  const OrderedJson& value = require(config, key, "config");
  if (!value.is_string()) json_error(path, "expected a string holding a JSON object");
  OrderedJson parsed;
  try {
    parsed = OrderedJson::parse(value.get<std::string>());
  } catch (const nlohmann::json::exception& e) {
    json_error(path, std::string("invalid embedded JSON (") + e.what() + ")");
  }
  if (!parsed.is_object()) json_error(path, "expected a string holding a JSON object");
  return parsed;
}

int64_t as_int(const OrderedJson& value, const std::string& path) {
  if (!value.is_number_integer()) json_error(path, "expected an integer");
  return value.get<int64_t>();
}

std::string dump(const OrderedJson& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/true);
}

}  // namespace

Tokenizer::Tokenizer(TokenizerOptions options) : options_(std::move(options)) {
  if (options_.num_words && *options_.num_words < 0) {
    throw ConfigError("tokenizer.num_words must be >= 0 (got " +
                      std::to_string(*options_.num_words) + ")");
  }
  if (!options_.char_level && options_.split.empty()) {
    throw ConfigError("tokenizer.split must not be empty unless tokenizer.char_level is true");
  }
  size_t offset = 0;
  if (!is_valid_utf8(options_.filters, &offset)) {
    throw ConfigError("tokenizer.filters is not valid UTF-8 (byte " + std::to_string(offset) + ")");
  }
  if (!is_valid_utf8(options_.split, &offset)) {
    throw ConfigError("tokenizer.split is not valid UTF-8 (byte " + std::to_string(offset) + ")");
  }
  if (options_.oov_token && !is_valid_utf8(*options_.oov_token, &offset)) {
    throw ConfigError("tokenizer.oov_token is not valid UTF-8 (byte " + std::to_string(offset) +
                      ")");
  }
  build_tables();
}

void Tokenizer::build_tables() {
  const std::vector<char32_t> split_cps = utf8_code_points(options_.split);
  split_is_one_code_point_ = split_cps.size() == 1;
  split_code_point_ = split_is_one_code_point_ ? split_cps[0] : 0;
  std::array<bool, 128> ascii_filter{};
  non_ascii_filters_.clear();
  for (char32_t cp : utf8_code_points(options_.filters)) {
    if (cp < 0x80) {
      ascii_filter[cp] = true;
    } else {
      non_ascii_filters_.push_back(cp);
    }
  }
  std::sort(non_ascii_filters_.begin(), non_ascii_filters_.end());
  for (int b = 0; b < 128; ++b) {
    const char raw = static_cast<char>(b);
    const char out = options_.lower ? ascii_lower(raw) : raw;
    const auto ucs = static_cast<unsigned char>(out);
    ascii_output_[b] = out;
    ascii_separator_[b] =
        ascii_filter[ucs] || (split_is_one_code_point_ && split_code_point_ == ucs);
    byte_class_[b] = ascii_separator_[b] ? kSeparatorByte
                     : out != raw        ? kChangedByte
                                         : kKeepByte;
  }
  for (int b = 128; b < 256; ++b) byte_class_[b] = kNonAsciiByte;
}

bool Tokenizer::is_separator(char32_t cp) const {
  if (cp < 0x80) return ascii_separator_[cp];
  return (split_is_one_code_point_ && cp == split_code_point_) ||
         std::binary_search(non_ascii_filters_.begin(), non_ascii_filters_.end(), cp);
}

template <typename Emit>
void Tokenizer::for_each_token(std::string_view text, Emit&& emit) const {
  if (options_.char_level) {
    for_each_char(text, emit);
    return;
  }
  if (!split_is_one_code_point_) {
    for_each_token_general(text, emit);
    return;
  }
  // With a one-code-point separator, Keras' "replace each filter by split, then split" is the same
  // as cutting at every filter or separator code point.
  TokenBuilder token(text);
  const size_t n = text.size();
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = 0;
  char32_t lowered[2];
  while (i < n) {
    const size_t run = i;
    while (i < n && byte_class_[bytes[i]] == kKeepByte) ++i;
    if (i > run) token.keep(run, i);
    if (i == n) break;
    const unsigned char b = bytes[i];
    if (byte_class_[b] == kSeparatorByte) {
      token.flush(i, emit);
      ++i;
      continue;
    }
    if (byte_class_[b] == kChangedByte) {
      token.keep_changed_ascii(i, ascii_output_[b]);
      ++i;
      continue;
    }
    const size_t begin = i;
    const char32_t cp = decode_utf8(text, i);
    size_t count = 1;
    lowered[0] = cp;
    if (options_.lower) count = lower_code_point(text, begin, i, cp, lowered);
    if (count == 1 && lowered[0] == cp && decoded_verbatim(text, begin, i, cp)) {
      if (is_separator(cp)) {
        token.flush(begin, emit);
      } else {
        token.keep(begin, i);
      }
      continue;
    }
    for (size_t k = 0; k < count; ++k) {
      if (is_separator(lowered[k])) {
        token.flush(begin, emit);
      } else {
        token.keep_code_point(begin, lowered[k]);
      }
    }
  }
  token.flush(n, emit);
}

template <typename Emit>
void Tokenizer::for_each_token_general(std::string_view text, Emit&& emit) const {
  // A multi-code-point separator can form new occurrences across replaced filter characters
  // ("x!b" with split "ab" and filter "!" gives "xabb"), so follow Keras literally: lowercase,
  // replace each filter by `split`, then Python's str.split(split) minus empty strings.
  std::string transformed;
  transformed.reserve(text.size());
  size_t i = 0;
  char32_t lowered[2];
  while (i < text.size()) {
    const size_t begin = i;
    const char32_t cp = decode_utf8(text, i);
    size_t count = 1;
    lowered[0] = cp;
    if (options_.lower) count = lower_code_point(text, begin, i, cp, lowered);
    for (size_t k = 0; k < count; ++k) {
      const char32_t c = lowered[k];
      const bool filtered =
          c < 0x80 ? ascii_separator_[c]
                   : std::binary_search(non_ascii_filters_.begin(), non_ascii_filters_.end(), c);
      if (filtered) {
        transformed += options_.split;
      } else {
        append_utf8(transformed, c);
      }
    }
  }
  const std::string_view view(transformed);
  const std::string_view sep(options_.split);
  size_t start = 0;
  while (true) {
    const size_t pos = view.find(sep, start);
    const size_t end = pos == std::string_view::npos ? view.size() : pos;
    if (end > start) emit(view.substr(start, end - start));
    if (pos == std::string_view::npos) break;
    start = pos + sep.size();
  }
}

template <typename Emit>
void Tokenizer::for_each_char(std::string_view text, Emit&& emit) const {
  std::string scratch;
  char32_t lowered[2];
  size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      if (options_.lower && b >= 'A' && b <= 'Z') {
        scratch.assign(1, ascii_lower(static_cast<char>(b)));
        emit(std::string_view(scratch));
      } else {
        emit(text.substr(i, 1));
      }
      ++i;
      continue;
    }
    const size_t begin = i;
    const char32_t cp = decode_utf8(text, i);
    size_t count = 1;
    lowered[0] = cp;
    if (options_.lower) count = lower_code_point(text, begin, i, cp, lowered);
    if (count == 1 && lowered[0] == cp && decoded_verbatim(text, begin, i, cp)) {
      emit(text.substr(begin, i - begin));
      continue;
    }
    for (size_t k = 0; k < count; ++k) {
      scratch.clear();
      append_utf8(scratch, lowered[k]);
      emit(std::string_view(scratch));
    }
  }
}

void Tokenizer::fit_on_texts(const std::vector<std::string>& texts) {
  std::vector<int64_t> last_doc(words_.size(), -1);
  std::string key;
  for (const std::string& text : texts) {
    const int64_t doc = document_count_++;
    auto count_word = [&](std::string_view word) {
      key.assign(word.data(), word.size());
      auto it = word_pos_.find(key);
      size_t pos = 0;
      if (it == word_pos_.end()) {
        pos = words_.size();
        word_pos_.emplace(key, pos);
        words_.push_back(key);
        counts_.push_back(0);
        docs_.push_back(0);
        last_doc.push_back(-1);
      } else {
        pos = it->second;
      }
      ++counts_[pos];
      if (last_doc[pos] != doc) {
        last_doc[pos] = doc;
        ++docs_[pos];
      }
    };
    for_each_token(text, count_word);
  }
  rebuild_index();
}

void Tokenizer::rebuild_index() {
  std::vector<size_t> order(words_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return counts_[a] > counts_[b]; });
  // Keras: word_index = dict(zip([oov] + sorted words, 1..)); when the OOV token is also a fitted
  // word, the later position wins and index 1 stays unused.
  word_index_.clear();
  word_index_.reserve(order.size() + 1);
  int64_t next = 1;
  if (options_.oov_token) word_index_[*options_.oov_token] = next++;
  for (size_t pos : order) word_index_[words_[pos]] = next++;
  index_word_.assign(static_cast<size_t>(next), std::string());
  for (const auto& [word, index] : word_index_) index_word_[static_cast<size_t>(index)] = word;
  rebuild_lookup();
}

void Tokenizer::rebuild_lookup() {
  oov_index_ = 0;
  if (options_.oov_token) {
    auto it = word_index_.find(*options_.oov_token);
    if (it != word_index_.end()) oov_index_ = it->second;
  }
  size_t capacity = 16;
  while (capacity < 2 * word_index_.size() + 1) capacity *= 2;
  slots_.assign(capacity, Slot{});
  slot_mask_ = capacity - 1;
  for (const auto& [word, index] : word_index_) {
    const uint64_t h = hash_word(word);
    uint64_t pos = h & slot_mask_;
    while (slots_[pos].index != 0) pos = (pos + 1) & slot_mask_;
    slots_[pos] = Slot{h, index};
  }
}

int64_t Tokenizer::lookup(std::string_view word) const {
  if (slots_.empty()) return 0;
  const uint64_t h = hash_word(word);
  uint64_t pos = h & slot_mask_;
  while (true) {
    const Slot& slot = slots_[pos];
    if (slot.index == 0) return 0;
    if (slot.hash == h && index_word_[static_cast<size_t>(slot.index)] == word) return slot.index;
    pos = (pos + 1) & slot_mask_;
  }
}

std::vector<std::string> Tokenizer::split_text(std::string_view text) const {
  std::vector<std::string> tokens;
  for_each_token(text, [&](std::string_view token) { tokens.emplace_back(token); });
  return tokens;
}

void Tokenizer::append_sequence(std::string_view text, std::vector<int64_t>& out) const {
  const int64_t limit = options_.num_words.value_or(0);
  for_each_token(text, [&](std::string_view token) {
    const int64_t index = lookup(token);
    if (index != 0 && (limit == 0 || index < limit)) {
      out.push_back(index);
    } else if (oov_index_ != 0) {
      out.push_back(oov_index_);
    }
  });
}

std::vector<int64_t> Tokenizer::text_to_sequence(std::string_view text) const {
  std::vector<int64_t> out;
  append_sequence(text, out);
  return out;
}

std::vector<std::vector<int64_t>> Tokenizer::texts_to_sequences(
    const std::vector<std::string>& texts) const {
  std::vector<std::vector<int64_t>> out;
  out.reserve(texts.size());
  // One shared scratch buffer, then an exact-size copy: one allocation per text, no regrowth.
  std::vector<int64_t> scratch;
  for (const std::string& text : texts) {
    scratch.clear();
    append_sequence(text, scratch);
    out.emplace_back(scratch.begin(), scratch.end());
  }
  return out;
}

int64_t Tokenizer::vocab_size() const {
  int64_t size = index_word_.empty() ? 1 : static_cast<int64_t>(index_word_.size());
  const int64_t limit = options_.num_words.value_or(0);
  if (limit > 0) size = std::min(size, limit);
  return std::max(size, oov_index_ + 1);
}

int64_t Tokenizer::word_count(std::string_view word) const {
  auto it = word_pos_.find(std::string(word));
  return it == word_pos_.end() ? 0 : counts_[it->second];
}

int64_t Tokenizer::word_doc_count(std::string_view word) const {
  auto it = word_pos_.find(std::string(word));
  return it == word_pos_.end() ? 0 : docs_[it->second];
}

std::string Tokenizer::to_json() const {
  OrderedJson word_counts = OrderedJson::object();
  OrderedJson word_docs = OrderedJson::object();
  OrderedJson index_docs = OrderedJson::object();
  for (size_t pos = 0; pos < words_.size(); ++pos) {
    word_counts[words_[pos]] = counts_[pos];
    if (docs_[pos] == 0) continue;
    word_docs[words_[pos]] = docs_[pos];
    auto it = word_index_.find(words_[pos]);
    if (it != word_index_.end()) index_docs[std::to_string(it->second)] = docs_[pos];
  }
  OrderedJson word_index = OrderedJson::object();
  OrderedJson index_word = OrderedJson::object();
  for (size_t index = 1; index < index_word_.size(); ++index) {
    const std::string& word = index_word_[index];
    auto it = word_index_.find(word);
    if (it == word_index_.end() || it->second != static_cast<int64_t>(index)) continue;
    word_index[word] = static_cast<int64_t>(index);
    index_word[std::to_string(index)] = word;
  }
  OrderedJson config = OrderedJson::object();
  config["num_words"] = options_.num_words ? OrderedJson(*options_.num_words) : OrderedJson();
  config["filters"] = options_.filters;
  config["lower"] = options_.lower;
  config["split"] = options_.split;
  config["char_level"] = options_.char_level;
  config["oov_token"] = options_.oov_token ? OrderedJson(*options_.oov_token) : OrderedJson();
  config["document_count"] = document_count_;
  config["word_counts"] = dump(word_counts);
  config["word_docs"] = dump(word_docs);
  config["index_docs"] = dump(index_docs);
  config["index_word"] = dump(index_word);
  config["word_index"] = dump(word_index);
  OrderedJson root = OrderedJson::object();
  root["class_name"] = "Tokenizer";
  root["config"] = std::move(config);
  return dump(root);
}

Tokenizer Tokenizer::from_json(std::string_view json) {
  OrderedJson root;
  try {
    root = OrderedJson::parse(json);
  } catch (const nlohmann::json::exception& e) {
    json_error("$", std::string("invalid JSON (") + e.what() + ")");
  }
  if (!root.is_object()) json_error("$", "expected an object");
  if (auto it = root.find("class_name"); it != root.end() && *it != "Tokenizer") {
    json_error("class_name", "expected \"Tokenizer\"");
  }
  const OrderedJson& config = require(root, "config", "$");
  if (!config.is_object()) json_error("config", "expected an object");

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

  std::optional<Tokenizer> built;
  try {
    built.emplace(std::move(options));
  } catch (const ConfigError& e) {
    throw DataError(std::string("tokenizer JSON: config: ") + e.what());
  }
  Tokenizer& tokenizer = *built;
  if (auto it = config.find("document_count"); it != config.end()) {
    tokenizer.document_count_ = as_int(*it, "config.document_count");
    if (tokenizer.document_count_ < 0) json_error("config.document_count", "must be >= 0");
  }

  const OrderedJson word_counts = parse_embedded_object(config, "word_counts");
  for (const auto& item : word_counts.items()) {
    const int64_t count = as_int(item.value(), "config.word_counts." + item.key());
    if (count < 1) json_error("config.word_counts." + item.key(), "expected a count >= 1");
    tokenizer.word_pos_.emplace(item.key(), tokenizer.words_.size());
    tokenizer.words_.push_back(item.key());
    tokenizer.counts_.push_back(count);
    tokenizer.docs_.push_back(0);
  }
  const OrderedJson word_docs = parse_embedded_object(config, "word_docs");
  for (const auto& item : word_docs.items()) {
    const std::string path = "config.word_docs." + item.key();
    const int64_t docs = as_int(item.value(), path);
    auto it = tokenizer.word_pos_.find(item.key());
    if (it == tokenizer.word_pos_.end()) json_error(path, "word is missing from word_counts");
    if (docs < 0) json_error(path, "expected a count >= 0");
    tokenizer.docs_[it->second] = docs;
  }
  const OrderedJson index_docs = parse_embedded_object(config, "index_docs");
  for (const auto& item : index_docs.items()) {
    as_int(item.value(), "config.index_docs." + item.key());
  }
  const OrderedJson index_word = parse_embedded_object(config, "index_word");
  for (const auto& item : index_word.items()) {
    if (!item.value().is_string()) {
      json_error("config.index_word." + item.key(), "expected a string");
    }
  }

  const OrderedJson word_index = parse_embedded_object(config, "word_index");
  // Indices above len(word_index) + 1 cannot come from Keras (see vocab_size) and would make the
  // index table arbitrarily large.
  const int64_t max_index = static_cast<int64_t>(word_index.size()) + 1;
  tokenizer.index_word_.assign(static_cast<size_t>(word_index.empty() ? 0 : max_index + 1),
                               std::string());
  std::vector<bool> used(tokenizer.index_word_.size(), false);
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
    used[static_cast<size_t>(index)] = true;
    highest = std::max(highest, index);
    tokenizer.word_index_[item.key()] = index;
    tokenizer.index_word_[static_cast<size_t>(index)] = item.key();
  }
  if (!word_index.empty()) tokenizer.index_word_.resize(static_cast<size_t>(highest) + 1);
  if (tokenizer.options_.oov_token && !word_index.empty() &&
      tokenizer.word_index_.count(*tokenizer.options_.oov_token) == 0) {
    json_error("config.word_index", "oov_token \"" + *tokenizer.options_.oov_token +
                                        "\" has no index");
  }
  tokenizer.rebuild_lookup();
  return std::move(*built);
}

}  // namespace fm
