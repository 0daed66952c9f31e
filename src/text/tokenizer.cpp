#include "fm/text/tokenizer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <limits>
#include <numeric>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

#include "fm/error.h"
#include "fm/text/unicode.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#define FM_TOKENIZER_SSE2 1
#else
#define FM_TOKENIZER_SSE2 0
#endif

namespace fm {
namespace {

using OrderedJson = nlohmann::ordered_json;

uint64_t load64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
uint64_t load32(const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
__extension__ typedef unsigned __int128 Uint128;  // GCC/Clang: one 64x64 -> 128-bit multiply
uint64_t mix(uint64_t a, uint64_t b) {
  const Uint128 r = static_cast<Uint128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

constexpr uint64_t kHash0 = 0xa0761d6478bd642full;
constexpr uint64_t kHash1 = 0xe7037ed1a0b428dbull;
constexpr uint64_t kHash2 = 0x8ebc6af09c88c6e3ull;

__attribute__((noinline)) uint64_t hash_long_word(const unsigned char* p, size_t n) {
  uint64_t seed = kHash0;
  size_t i = n;
  while (i > 16) {
    seed = mix(load64(p) ^ kHash1, load64(p + 8) ^ seed);
    p += 16;
    i -= 16;
  }
  return mix(kHash1 ^ n, mix(load64(p + i - 16) ^ kHash1, load64(p + i - 8) ^ seed) ^ kHash2);
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }

// Bytes [0, min(n, 16)) of p as two little-endian words, zero padded, reading nothing past p + n.
inline void load_prefix(const unsigned char* p, size_t n, uint64_t& k0, uint64_t& k1) {
  if (n >= 16) {
    k0 = load64(p);
    k1 = load64(p + 8);
  } else if (n > 8) {
    k0 = load64(p);
    k1 = load64(p + n - 8) >> (8 * (16 - n));  // bytes 8..n-1: the top n-8 of the last 8
  } else if (n == 8) {
    k0 = load64(p);
    k1 = 0;
  } else if (n >= 4) {
    k0 = load32(p) | ((load32(p + n - 4) >> (8 * (8 - n))) << 32);
    k1 = 0;
  } else {
    k0 = n == 0 ? 0 : (uint64_t{p[0]} | (n > 1 ? uint64_t{p[1]} << 8 : 0) |
                       (n > 2 ? uint64_t{p[2]} << 16 : 0));
    k1 = 0;
  }
}

// The hash of a word of n <= 16 bytes from its zero-padded bytes.
inline uint64_t hash_short(uint64_t k0, uint64_t k1, uint64_t n) {
  return mix(mix(k0 ^ kHash1, k1 ^ kHash0) ^ kHash2, n ^ kHash1);
}

// Runs job(k) for k in [0, jobs) on up to `threads` threads (the caller's included); the first
// exception thrown by a job is rethrown here once all threads are done.
template <typename Job>
void run_jobs(size_t jobs, int threads, Job&& job) {
  const size_t workers = std::min<size_t>(jobs, static_cast<size_t>(std::max(threads, 1)));
  if (workers <= 1) {
    for (size_t k = 0; k < jobs; ++k) job(k);
    return;
  }
  std::atomic<size_t> next{0};
  std::vector<std::exception_ptr> errors(workers);
  auto work = [&](size_t w) {
    try {
      for (size_t k = next++; k < jobs; k = next++) job(k);
    } catch (...) {
      errors[w] = std::current_exception();
      next = jobs;
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (size_t w = 1; w < workers; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

// Splits texts into at most `parts` contiguous ranges of about equal bytes (and no range over
// kMaxChunkBytes, so per-chunk 32-bit counters cannot overflow); returns the range boundaries.
constexpr size_t kMaxChunkBytes = size_t{1} << 30;
constexpr size_t kMaxTextBytes = size_t{1} << 30;
std::vector<size_t> split_by_bytes(const std::vector<std::string>& texts, int parts) {
  size_t total = 0;
  for (const auto& t : texts) total += t.size();
  size_t chunks = std::max<size_t>(1, static_cast<size_t>(std::max(parts, 1)));
  chunks = std::max(chunks, total / kMaxChunkBytes + 1);
  chunks = std::min(chunks, std::max<size_t>(texts.size(), 1));
  const size_t target = std::max<size_t>(1, (total + chunks - 1) / chunks);
  std::vector<size_t> bounds{0};
  size_t bytes = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    bytes += texts[i].size();
    if ((bytes >= target || bytes + (i + 1 < texts.size() ? texts[i + 1].size() : 0) >
                                kMaxChunkBytes) &&
        i + 1 < texts.size()) {
      bounds.push_back(i + 1);
      bytes = 0;
    }
  }
  bounds.push_back(texts.size());
  return bounds;
}

// True when text[begin, end) is the well-formed encoding of `cp` (an ill-formed sequence decodes
// to U+FFFD, which must then be written out instead of the original bytes).
bool decoded_verbatim(std::string_view text, size_t begin, size_t end, char32_t cp) {
  return cp != kReplacementCharacter || text.substr(begin, end - begin) == "\xEF\xBF\xBD";
}

// A word being built: its (lowercased) bytes, in a buffer with kSlack bytes of room past the end so
// the vectorised loop can store 16 bytes at a time. Cleared after each word, so it stays small.
class WordBuffer {
 public:
  static constexpr size_t kSlack = 16;
  /// keep = false: each flush empties the buffer (one word at a time). keep = true: words stay
  /// back to back, so a whole text's words can be looked up after it is scanned.
  explicit WordBuffer(bool keep = false) : buffer_(64, '\0'), keep_(keep) {}
  // Room for `extra` more bytes plus the slack.
  char* reserve(size_t extra) {
    if (size_ + extra + kSlack > buffer_.size()) buffer_.resize(2 * (size_ + extra + kSlack));
    return buffer_.data() + size_;
  }
  void push(char c) { *reserve(1) = c, ++size_; }
  void append(std::string_view bytes) {
    std::memcpy(reserve(bytes.size()), bytes.data(), bytes.size());
    size_ += bytes.size();
  }
  void grow(size_t n) { size_ += n; }
  void append_code_point(char32_t cp) {
    char* out = reserve(4);
    if (cp < 0x80) {
      out[0] = static_cast<char>(cp);
      size_ += 1;
      return;
    }
    std::string utf8;
    append_utf8(utf8, cp);
    std::memcpy(out, utf8.data(), utf8.size());
    size_ += utf8.size();
  }
  /// Emits the word begun since the last flush (if any).
  template <typename Emit>
  void flush(Emit& emit) {
    if (size_ == start_) return;
    emit(std::string_view(buffer_.data() + start_, size_ - start_));
    if (keep_) {
      start_ = size_;
    } else {
      size_ = 0;
    }
  }
  void clear() { size_ = start_ = 0; }
  const char* data() const { return buffer_.data(); }

 private:
  std::string buffer_;
  size_t size_ = 0;
  size_t start_ = 0;
  bool keep_;
};

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

}  // namespace

__attribute__((always_inline)) inline Tokenizer::WordTable::Key Tokenizer::WordTable::key_of(
    std::string_view word) {
  const auto* p = reinterpret_cast<const unsigned char*>(word.data());
  const size_t n = word.size();
  Key key{};
  load_prefix(p, n, key.k0, key.k1);
  key.len = static_cast<uint32_t>(std::min<size_t>(n, std::numeric_limits<uint32_t>::max()));
  // A wyhash-style hash (never stored: only this process's tables use it).
  key.hash = n > 16 ? hash_long_word(p, n) : hash_short(key.k0, key.k1, n);
  key.word = word;
  return key;
}

void Tokenizer::WordTable::reset(size_t expected) {
  size_t capacity = 16;
  while (capacity < 2 * expected + 1) capacity *= 2;
  slots_.assign(capacity, Slot{});
  mask_ = capacity - 1;
  size_ = 0;
}

template <typename Tail>
const Tokenizer::WordTable::Slot* Tokenizer::WordTable::find(const Key& key, Tail&& tail) const {
  if (size_ == 0) return nullptr;
  uint64_t pos = key.hash & mask_;
  while (true) {
    const Slot& slot = slots_[pos];
    if (slot.id == 0) return nullptr;
    if (slot.k0 == key.k0 && slot.k1 == key.k1 && slot.len == key.len &&
        (key.len <= 16 || tail(slot.id) == key.word)) {
      return &slot;
    }
    pos = (pos + 1) & mask_;
  }
}

template <typename Tail>
void Tokenizer::WordTable::grow(Tail&& tail) {
  std::vector<Slot> old;
  old.swap(slots_);
  const size_t size = size_;
  reset(std::max<size_t>(2 * size, 8));
  for (const Slot& slot : old) {
    if (slot.id == 0) continue;
    const uint64_t h = slot.len <= 16 ? hash_short(slot.k0, slot.k1, slot.len)
                                      : key_of(tail(slot.id)).hash;
    uint64_t pos = h & mask_;
    while (slots_[pos].id != 0) pos = (pos + 1) & mask_;
    slots_[pos] = slot;
  }
  size_ = size;
}

template <typename Tail>
Tokenizer::WordTable::Slot* Tokenizer::WordTable::find_or_insert(const Key& key, uint32_t next_id,
                                                                  Tail&& tail, bool& inserted) {
  if (2 * (size_ + 1) > slots_.size()) grow(tail);
  uint64_t pos = key.hash & mask_;
  while (true) {
    Slot& slot = slots_[pos];
    if (slot.id == 0) {
      slot.k0 = key.k0;
      slot.k1 = key.k1;
      slot.len = key.len;
      slot.id = next_id;
      ++size_;
      inserted = true;
      return &slot;
    }
    if (slot.k0 == key.k0 && slot.k1 == key.k1 && slot.len == key.len &&
        (key.len <= 16 || tail(slot.id) == key.word)) {
      inserted = false;
      return &slot;
    }
    pos = (pos + 1) & mask_;
  }
}

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
  // The vectorised word loop copies ASCII letters and digits without looking them up: valid when
  // none of them is a separator (and upper case letters just become lower case ones).
  simd_alnum_ = true;
  for (int b = 0; b < 128; ++b) {
    const bool alnum = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9');
    if (alnum && ascii_separator_[b]) simd_alnum_ = false;
  }
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
  WordBuffer word;
  scan_words(text, word, emit);
}

template <typename Buffer, typename Emit>
void Tokenizer::scan_words(std::string_view text, Buffer& word, Emit&& emit) const {
  // With a one-code-point separator, Keras' "replace each filter by split, then split" is the same
  // as cutting at every filter or separator code point. Each word's bytes are lowercased into
  // `word` and emitted at the next separator.
  const size_t n = text.size();
  const char* data = text.data();
  size_t i = 0;
  char32_t lowered[2];
  while (i < n) {
#if FM_TOKENIZER_SSE2
    // 16 bytes at a time: copy (lowercased) the leading run of ASCII letters and digits, which
    // simd_alnum_ says are plain word bytes under these options.
    if (simd_alnum_) {
      while (i + 16 <= n) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
        // x in [lo, lo + width) <=> (x - lo - 128) < width - 128 as signed bytes.
        const __m128i upper = _mm_cmplt_epi8(_mm_sub_epi8(v, _mm_set1_epi8('A' + 128 - 256)),
                                             _mm_set1_epi8(26 - 128));
        const __m128i letter = _mm_cmplt_epi8(
            _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a' + 128 - 256)),
            _mm_set1_epi8(26 - 128));
        const __m128i digit = _mm_cmplt_epi8(_mm_sub_epi8(v, _mm_set1_epi8('0' + 128 - 256)),
                                             _mm_set1_epi8(10 - 128));
        const auto plain =
            static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(letter, digit)));
        const __m128i out =
            options_.lower ? _mm_add_epi8(v, _mm_and_si128(upper, _mm_set1_epi8(0x20))) : v;
        _mm_storeu_si128(reinterpret_cast<__m128i*>(word.reserve(16)), out);
        if (plain == 0xFFFF) {
          word.grow(16);
          i += 16;
          continue;
        }
        const auto run = static_cast<size_t>(__builtin_ctz(~plain));
        word.grow(run);
        i += run;
        break;
      }
      if (i == n) break;
    }
#endif
    const auto b = static_cast<unsigned char>(data[i]);
    switch (byte_class_[b]) {
      case kKeepByte:
        word.push(static_cast<char>(b));
        ++i;
        continue;
      case kSeparatorByte:
        word.flush(emit);
        // Runs of separators (", ", "-----", "=====") are common: skip them here, runs of one
        // repeated byte 16 at a time.
        ++i;
        while (i < n && byte_class_[static_cast<unsigned char>(data[i])] == kSeparatorByte) {
#if FM_TOKENIZER_SSE2
          if (data[i] == data[i - 1] && i + 16 <= n) {
            while (i + 16 <= n) {
              const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
              const auto same = static_cast<unsigned>(
                  _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(data[i - 1]))));
              if (same != 0xFFFF) {
                i += static_cast<size_t>(__builtin_ctz(~same));
                break;
              }
              i += 16;
            }
            continue;
          }
#endif
          ++i;
        }
        continue;
      case kChangedByte:
        word.push(ascii_output_[b]);
        ++i;
        continue;
      default:
        break;
    }
    // A non-ASCII code point (an ill-formed sequence reads as U+FFFD).
    const size_t begin = i;
    const char32_t cp = decode_utf8(text, i);
    size_t count = 1;
    lowered[0] = cp;
    if (options_.lower) count = lower_code_point(text, begin, i, cp, lowered);
    for (size_t k = 0; k < count; ++k) {
      if (is_separator(lowered[k])) {
        word.flush(emit);
      } else {
        word.append_code_point(lowered[k]);
      }
    }
  }
  word.flush(emit);
}

/// The words of one text, back to back, with their keys (word views as offsets into `words`,
/// which may move while the text is scanned).
struct Tokenizer::TokenBatch {
  struct Entry {
    uint64_t k0, k1, hash;
    uint32_t offset, len;
  };
  WordBuffer words{/*keep=*/true};
  std::vector<Entry> entries;
};

template <typename Resolve>
void Tokenizer::for_each_key(std::string_view text, TokenBatch& batch, const WordTable& table,
                             Resolve&& resolve) const {
  // Offsets are 32-bit and a text's words take at most 3x its bytes (an ill-formed byte reads as
  // the 3-byte U+FFFD).
  if (text.size() > kMaxTextBytes) {
    throw DataError("tokenizer: a text of " + std::to_string(text.size()) +
                    " bytes is over the limit of " + std::to_string(kMaxTextBytes) + " bytes");
  }
  batch.words.clear();
  batch.entries.clear();
  auto add = [&](std::string_view word) {
    const WordTable::Key key = WordTable::key_of(word);
    batch.entries.push_back({key.k0, key.k1, key.hash,
                             static_cast<uint32_t>(word.data() - batch.words.data()), key.len});
  };
  if (!options_.char_level && split_is_one_code_point_) {
    scan_words(text, batch.words, add);
  } else {
    for_each_token(text, [&](std::string_view word) {
      batch.words.append(word);
      batch.words.flush(add);
    });
  }
  constexpr size_t kAhead = 8;
  const size_t n = batch.entries.size();
  const char* base = batch.words.data();
  auto key = [&](size_t i) {
    const TokenBatch::Entry& e = batch.entries[i];
    return WordTable::Key{e.k0, e.k1, e.hash, e.len, std::string_view(base + e.offset, e.len)};
  };
  for (size_t i = 0; i < std::min(n, kAhead); ++i) table.prefetch(key(i));
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) table.prefetch(key(i + kAhead));
    resolve(key(i));
  }
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

size_t Tokenizer::find_word(std::string_view word) const {
  const WordTable::Slot* slot = word_pos_.find(
      WordTable::key_of(word), [&](uint32_t id) -> std::string_view { return words_[id - 1]; });
  return slot == nullptr ? words_.size() : slot->id - 1;
}

size_t Tokenizer::find_or_add_word(std::string_view word) {
  if (words_.size() >= std::numeric_limits<uint32_t>::max() - 1) {
    throw DataError("tokenizer: more than 2^32 - 2 distinct words");
  }
  bool inserted = false;
  const WordTable::Slot* slot = word_pos_.find_or_insert(
      WordTable::key_of(word), static_cast<uint32_t>(words_.size() + 1),
      [&](uint32_t id) -> std::string_view { return words_[id - 1]; }, inserted);
  if (inserted) {
    words_.emplace_back(word);
    stats_.emplace_back();
  }
  return slot->id - 1;
}

/// One thread's share of a fit: the words of a contiguous range of texts in first-seen order,
/// their counts, and (for fit_transform) every token's word.
struct Tokenizer::ChunkFit {
  WordTable table;                  // id = local word id (1-based), with count and last_doc
  std::string arena;                // the words' bytes, in id order
  std::vector<size_t> offsets{0};   // word `id` is arena[offsets[id - 1], offsets[id])
  std::vector<uint32_t> docs;       // per word: texts of the range that contain it
  bool keep_ids = false;
  std::vector<uint32_t> ids;        // local id of every token, when keep_ids
  std::vector<uint32_t> lengths;    // tokens per text, when keep_ids
  std::string_view word(uint32_t id) const {
    return std::string_view(arena).substr(offsets[id - 1], offsets[id] - offsets[id - 1]);
  }
};

void Tokenizer::fit_chunk(const std::vector<std::string>& texts, size_t first, size_t last,
                          ChunkFit& chunk) const {
  // Sized for the distinct words of a typical text of this many bytes (about one per 100 bytes
  // for mail-sized corpora): fewer rehashes as it grows.
  size_t bytes = 0;
  for (size_t t = first; t < last; ++t) bytes += texts[t].size();
  chunk.table.reset(std::min<size_t>(std::max<size_t>(bytes / 128, 1024), size_t{1} << 20));
  auto tail = [&](uint32_t id) { return chunk.word(id); };
  TokenBatch batch;
  uint32_t doc = 0;
  for (size_t t = first; t < last; ++t) {
    ++doc;
    const size_t before = chunk.ids.size();
    for_each_key(texts[t], batch, chunk.table, [&](const WordTable::Key& key) {
      bool inserted = false;
      WordTable::Slot* slot = chunk.table.find_or_insert(
          key, static_cast<uint32_t>(chunk.offsets.size()), tail, inserted);
      if (inserted) {
        chunk.arena.append(key.word);
        chunk.offsets.push_back(chunk.arena.size());
        chunk.docs.push_back(0);
      }
      ++slot->count;
      if (slot->last_doc != doc) {
        slot->last_doc = doc;
        ++chunk.docs[slot->id - 1];
      }
      if (chunk.keep_ids) chunk.ids.push_back(slot->id);
    });
    if (chunk.keep_ids) chunk.lengths.push_back(static_cast<uint32_t>(chunk.ids.size() - before));
  }
}

void Tokenizer::fit_on_texts(const std::vector<std::string>& texts, int threads) {
  fit(texts, threads, /*sequences=*/false);
}

FlatSequences Tokenizer::fit_transform(const std::vector<std::string>& texts, int threads) {
  return fit(texts, threads, /*sequences=*/true);
}

FlatSequences Tokenizer::fit(const std::vector<std::string>& texts, int threads, bool sequences) {
  // Count contiguous ranges of texts in parallel, then merge them in order: a word new to range k
  // was first seen there, so the merged first-seen order (Keras' tie order) is the sequential one.
  const std::vector<size_t> bounds = split_by_bytes(texts, threads);
  const size_t chunks = bounds.size() - 1;
  std::vector<ChunkFit> parts(chunks);
  run_jobs(chunks, threads, [&](size_t k) {
    parts[k].keep_ids = sequences;
    fit_chunk(texts, bounds[k], bounds[k + 1], parts[k]);
  });
  std::vector<std::vector<uint32_t>> position(chunks);  // local id - 1 -> position in words_
  for (size_t k = 0; k < chunks; ++k) {
    ChunkFit& part = parts[k];
    const size_t n = part.docs.size();
    position[k].resize(n);
    for (uint32_t id = 1; id <= n; ++id) {
      const size_t pos = find_or_add_word(part.word(id));
      position[k][id - 1] = static_cast<uint32_t>(pos);
      stats_[pos].docs += part.docs[id - 1];
    }
    for (const WordTable::Slot& slot : part.table.slots()) {
      if (slot.id != 0) stats_[position[k][slot.id - 1]].count += slot.count;
    }
    part.table = WordTable();
    part.arena = std::string();
  }
  document_count_ += static_cast<int64_t>(texts.size());
  const std::vector<int64_t> index_of = rebuild_index();
  FlatSequences out;
  if (!sequences) return out;

  // Each chunk's local ids -> the sequence value (0 = dropped), as texts_to_sequences maps them.
  const int64_t limit = options_.num_words.value_or(0);
  std::vector<std::vector<int64_t>> value(chunks);
  for (size_t k = 0; k < chunks; ++k) {
    value[k].resize(position[k].size());
    for (size_t j = 0; j < position[k].size(); ++j) {
      const int64_t index = index_of[position[k][j]];
      value[k][j] = (limit == 0 || index < limit) ? index : oov_index_;
    }
  }
  // Kept tokens per text, then each range writes its part of one flat buffer.
  out.offsets.assign(texts.size() + 1, 0);
  run_jobs(chunks, threads, [&](size_t k) {
    const ChunkFit& part = parts[k];
    const uint32_t* id = part.ids.data();
    for (size_t t = 0; t < part.lengths.size(); ++t) {
      int64_t kept = 0;
      for (uint32_t i = 0; i < part.lengths[t]; ++i) kept += value[k][id[i] - 1] != 0;
      id += part.lengths[t];
      out.offsets[bounds[k] + t + 1] = kept;
    }
  });
  for (size_t t = 0; t < texts.size(); ++t) out.offsets[t + 1] += out.offsets[t];
  out.values.resize(static_cast<size_t>(out.offsets.back()));
  run_jobs(chunks, threads, [&](size_t k) {
    const ChunkFit& part = parts[k];
    int64_t* dest = out.values.data() + out.offsets[bounds[k]];
    const int64_t* map = value[k].data();
    for (const uint32_t id : part.ids) {
      const int64_t v = map[id - 1];
      if (v != 0) *dest++ = v;  // (a branchless store would write past this chunk's share)
    }
  });
  return out;
}

std::vector<int64_t> Tokenizer::rebuild_index() {
  // Descending count, ties in first-seen order (Python's stable sort). Counts are at most the
  // number of tokens seen, so a counting sort (stable, linear) usually applies.
  std::vector<size_t> order(words_.size());
  int64_t max_count = 0;
  for (const WordStats& stats : stats_) max_count = std::max(max_count, stats.count);
  if (max_count >= 0 && static_cast<uint64_t>(max_count) <= 8 * words_.size() + 4096) {
    std::vector<size_t> start(static_cast<size_t>(max_count) + 2, 0);
    for (const WordStats& stats : stats_) {
      ++start[static_cast<size_t>(max_count - std::max<int64_t>(stats.count, 0)) + 1];
    }
    for (size_t c = 1; c < start.size(); ++c) start[c] += start[c - 1];
    for (size_t pos = 0; pos < words_.size(); ++pos) {
      order[start[static_cast<size_t>(max_count - std::max<int64_t>(stats_[pos].count, 0))]++] =
          pos;
    }
  } else {
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return stats_[a].count > stats_[b].count; });
  }
  // Keras: word_index = dict(zip([oov] + sorted words, 1..)); when the OOV token is also a fitted
  // word, the later position wins and index 1 stays unused.
  const size_t first = options_.oov_token ? 2 : 1;
  index_word_.assign(first + order.size(), std::string());
  index_used_.assign(first + order.size(), 0);
  if (options_.oov_token) {
    index_word_[1] = *options_.oov_token;
    index_used_[1] = 1;
  }
  std::vector<int64_t> index_of(words_.size(), 0);
  size_t next = first;
  for (size_t pos : order) {
    if (options_.oov_token && index_used_[1] && words_[pos] == *options_.oov_token) {
      index_word_[1].clear();
      index_used_[1] = 0;
    }
    index_word_[next] = words_[pos];
    index_used_[next] = 1;
    index_of[pos] = static_cast<int64_t>(next++);
  }
  rebuild_lookup();
  return index_of;
}

void Tokenizer::rebuild_lookup() {
  word_index_cache_ = std::make_shared<WordIndexCache>();
  size_t used = 0;
  for (char u : index_used_) used += u != 0;
  index_table_.reset(used);
  auto tail = [&](uint32_t index) -> std::string_view { return index_word_[index]; };
  for (size_t index = 1; index < index_word_.size(); ++index) {
    if (!index_used_[index]) continue;
    bool inserted = false;
    index_table_.find_or_insert(WordTable::key_of(index_word_[index]),
                                static_cast<uint32_t>(index), tail, inserted);
  }
  oov_index_ = options_.oov_token ? lookup(*options_.oov_token) : 0;
}

const std::unordered_map<std::string, int64_t>& Tokenizer::word_index() const {
  WordIndexCache& cache = *word_index_cache_;
  std::call_once(cache.once, [&] {
    cache.map.reserve(index_word_.size());
    for (size_t index = 1; index < index_word_.size(); ++index) {
      if (index_used_[index]) cache.map.emplace(index_word_[index], static_cast<int64_t>(index));
    }
  });
  return cache.map;
}

int64_t Tokenizer::lookup(std::string_view word) const {
  const WordTable::Slot* slot =
      index_table_.find(WordTable::key_of(word),
                        [&](uint32_t index) -> std::string_view { return index_word_[index]; });
  return slot == nullptr ? 0 : slot->id;
}

std::vector<std::string> Tokenizer::split_text(std::string_view text) const {
  std::vector<std::string> tokens;
  for_each_token(text, [&](std::string_view token) { tokens.emplace_back(token); });
  return tokens;
}

void Tokenizer::append_sequence(std::string_view text, std::vector<int64_t>& out) const {
  const int64_t limit = options_.num_words.value_or(0);
  thread_local TokenBatch batch;
  auto tail = [&](uint32_t index) -> std::string_view { return index_word_[index]; };
  for_each_key(text, batch, index_table_, [&](const WordTable::Key& key) {
    const WordTable::Slot* slot = index_table_.find(key, tail);
    const int64_t index = slot == nullptr ? 0 : slot->id;
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

FlatSequences Tokenizer::texts_to_flat_sequences(const std::vector<std::string>& texts,
                                                 int threads) const {
  const std::vector<size_t> bounds = split_by_bytes(texts, threads);
  const size_t chunks = bounds.size() - 1;
  std::vector<std::vector<int64_t>> parts(chunks);
  FlatSequences out;
  out.offsets.assign(texts.size() + 1, 0);
  run_jobs(chunks, threads, [&](size_t k) {
    for (size_t t = bounds[k]; t < bounds[k + 1]; ++t) {
      append_sequence(texts[t], parts[k]);
      out.offsets[t + 1] = static_cast<int64_t>(parts[k].size());  // end within the part
    }
  });
  size_t total = 0;
  for (const auto& part : parts) total += part.size();
  out.values.resize(total);
  int64_t base = 0;
  for (size_t k = 0; k < chunks; ++k) {
    std::copy(parts[k].begin(), parts[k].end(), out.values.begin() + base);
    for (size_t t = bounds[k]; t < bounds[k + 1]; ++t) out.offsets[t + 1] += base;
    base += static_cast<int64_t>(parts[k].size());
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
  const size_t pos = find_word(word);
  return pos == words_.size() ? 0 : stats_[pos].count;
}

int64_t Tokenizer::word_doc_count(std::string_view word) const {
  const size_t pos = find_word(word);
  return pos == words_.size() ? 0 : stats_[pos].docs;
}

std::string Tokenizer::to_json() const {
  // The five embedded objects hold one member per word. ordered_json searches its keys linearly on
  // every insertion (quadratic: 15 s of fm-train on a 59k-word vocabulary), so they are written
  // member by member instead — keys are distinct by construction — with nlohmann's escaping, which
  // gives the same text.
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
  ObjectWriter word_counts, word_docs, index_docs;
  for (size_t pos = 0; pos < words_.size(); ++pos) {
    word_counts.add(words_[pos], std::to_string(stats_[pos].count));
    if (stats_[pos].docs == 0) continue;
    word_docs.add(words_[pos], std::to_string(stats_[pos].docs));
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

  const FlatObject word_counts = parse_embedded_object(config, "word_counts");
  for (const auto& item : word_counts.items()) {
    const int64_t count = as_int(item.value(), "config.word_counts." + item.key());
    if (count < 1) json_error("config.word_counts." + item.key(), "expected a count >= 1");
    // (FlatObject has already merged a repeated key into its first position.)
    tokenizer.stats_[tokenizer.find_or_add_word(item.key())].count = count;
  }
  const FlatObject word_docs = parse_embedded_object(config, "word_docs");
  for (const auto& item : word_docs.items()) {
    const std::string path = "config.word_docs." + item.key();
    const int64_t docs = as_int(item.value(), path);
    const size_t pos = tokenizer.find_word(item.key());
    if (pos == tokenizer.words_.size()) json_error(path, "word is missing from word_counts");
    if (docs < 0) json_error(path, "expected a count >= 0");
    tokenizer.stats_[pos].docs = docs;
  }
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

  const FlatObject word_index = parse_embedded_object(config, "word_index");
  // Indices above len(word_index) + 1 cannot come from Keras (see vocab_size) and would make the
  // index table arbitrarily large.
  const int64_t max_index = static_cast<int64_t>(word_index.size()) + 1;
  tokenizer.index_word_.assign(static_cast<size_t>(word_index.empty() ? 0 : max_index + 1),
                               std::string());
  std::vector<char>& used = tokenizer.index_used_;
  used.assign(tokenizer.index_word_.size(), 0);
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
    tokenizer.index_word_[static_cast<size_t>(index)] = item.key();
  }
  if (!word_index.empty()) {
    tokenizer.index_word_.resize(static_cast<size_t>(highest) + 1);
    used.resize(static_cast<size_t>(highest) + 1);
  }
  tokenizer.rebuild_lookup();
  if (tokenizer.options_.oov_token && !word_index.empty() && tokenizer.oov_index_ == 0) {
    json_error("config.word_index", "oov_token \"" + *tokenizer.options_.oov_token +
                                        "\" has no index");
  }
  return std::move(*built);
}

}  // namespace fm
