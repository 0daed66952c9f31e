#include "fm/text/tokenizer.h"

#include <nlohmann/json.hpp>

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <limits>
#include <numeric>
#include <string>
#include <unordered_map>
#include <utility>

#include "fm/error.h"
#include "fm/parallel.h"
#include "fm/text/unicode.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#define FM_TOKENIZER_SSE2 1
#else
#define FM_TOKENIZER_SSE2 0
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define FM_TOKENIZER_AVX2 1  // compiled for a target("avx2") function, used when the CPU has it
#else
#define FM_TOKENIZER_AVX2 0
#endif

namespace fm {

namespace detail {

namespace {
constexpr std::size_t kHugePage = std::size_t{2} << 20;
}

void* allocate_table(std::size_t bytes) {
  if (bytes < kHugePage) {
    void* p = std::malloc(std::max<std::size_t>(bytes, 1));
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  void* p = std::aligned_alloc(kHugePage, rounded);
  if (p == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  madvise(p, rounded, MADV_HUGEPAGE);  // a hint: without THP the table just uses small pages
#endif
  return p;
}

void free_table(void* p, std::size_t) noexcept { std::free(p); }

}  // namespace detail

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

// Masks that zero the bytes of a 16-byte load past a word of `len` <= 16 bytes (k0, k1).
struct PrefixMasks {
  uint64_t m0[17], m1[17];
  constexpr PrefixMasks() : m0(), m1() {
    for (int len = 0; len <= 16; ++len) {
      m0[len] = len >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * len)) - 1;
      m1[len] = len <= 8 ? 0 : len == 16 ? ~uint64_t{0} : (uint64_t{1} << (8 * (len - 8))) - 1;
    }
  }
};
constexpr PrefixMasks kPrefixMasks;

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
  void append_code_point(char32_t cp) { size_ += encode_utf8(cp, reserve(4)); }
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

__attribute__((always_inline)) inline Tokenizer::WordTable::Key
Tokenizer::WordTable::key_of_padded(const char* data, size_t n) {
  // key_of's key, but from whole 8-byte loads masked to the word (no branch on its length).
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  Key key{};
  key.len = static_cast<uint32_t>(n);
  key.word = std::string_view(data, n);
  if (n <= 16) {
    key.k0 = load64(p) & kPrefixMasks.m0[n];
    key.k1 = load64(p + 8) & kPrefixMasks.m1[n];
    key.hash = hash_short(key.k0, key.k1, n);
  } else {
    key.k0 = load64(p);
    key.k1 = load64(p + 8);
    key.hash = hash_long_word(p, n);
  }
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
  std::vector<Slot, detail::TableAllocator<Slot>> old;
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

// Calls visit(i, key_of(word(i))) for i in [begin, end), with the table slot of each key
// prefetched 16 words ahead: lookups of words in no particular order are mostly cache misses,
// and this lets them overlap.
template <typename Table, typename Word, typename Visit>
void visit_prefetched(const Table& table, size_t begin, size_t end, Word&& word, Visit&& visit) {
  constexpr size_t kAhead = 16;
  typename Table::Key ring[kAhead];
  const size_t lead = std::min(end - begin, kAhead);
  for (size_t i = begin; i < begin + lead; ++i) {
    ring[i % kAhead] = Table::key_of(word(i));
    table.prefetch(ring[i % kAhead]);
  }
  for (size_t i = begin; i < end; ++i) {
    const typename Table::Key key = ring[i % kAhead];
    if (i + kAhead < end) {
      ring[i % kAhead] = Table::key_of(word(i + kAhead));
      table.prefetch(ring[i % kAhead]);
    }
    visit(i, key);
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
  // The vectorised scanner's separator table, looked up by the lowercased byte.
  separator_nibbles_.fill(0);
  for (int b = 0; b < 128; ++b) {
    if (ascii_separator_[b]) separator_nibbles_[b & 15] |= static_cast<uint8_t>(1u << (b >> 4));
  }
  simd_scan_ = simd_scanner_available() && !options_.char_level && split_is_one_code_point_;
  // The vectorised word loop copies ASCII letters and digits without looking them up: valid when
  // none of them is a separator (and upper case letters just become lower case ones).
  simd_alnum_ = true;
  for (int b = 0; b < 128; ++b) {
    const bool alnum = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9');
    if (alnum && ascii_separator_[b]) simd_alnum_ = false;
  }
}

size_t Tokenizer::next_code_point(std::string_view text, size_t& i, char32_t out[2]) const {
  const size_t begin = i;
  const char32_t cp = decode_utf8(text, i);
  out[0] = cp;
  return options_.lower ? lower_code_point(text, begin, i, cp, out) : 1;
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
    const size_t count = next_code_point(text, i, lowered);
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

/// The words of one text with their keys. Word views are offsets into `words` (the portable
/// scanner: words back to back) or `lowered` (the vectorised one: the lowercased text, words being
/// slices of it), either of which may move while the text is scanned.
struct Tokenizer::TokenBatch {
  struct Entry {
    uint64_t k0, k1, hash;
    uint32_t offset, len;
  };
  WordBuffer words{/*keep=*/true};
  std::string lowered;
  std::vector<Entry> entries;
  size_t count = 0;  // entries used
};

namespace {


#if FM_TOKENIZER_AVX2
bool cpu_has_avx2() {
  // FM_TOKENIZER_SIMD=0 selects the portable scanner (the tests run both).
  const char* env = std::getenv("FM_TOKENIZER_SIMD");
  if (env != nullptr && std::string_view(env) == "0") return false;
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}
#endif

}  // namespace

bool Tokenizer::simd_scanner_available() {
#if FM_TOKENIZER_AVX2
  static const bool available = cpu_has_avx2();
  return available;
#else
  return false;
#endif
}

#if FM_TOKENIZER_AVX2
namespace {

// `v` with A-Z lowercased when case_bit is 0x20 in every byte (unchanged when it is 0).
__attribute__((target("avx2"))) inline __m256i lower_ascii(__m256i v, __m256i case_bit) {
  const __m256i upper = _mm256_and_si256(_mm256_cmpgt_epi8(v, _mm256_set1_epi8('A' - 1)),
                                         _mm256_cmpgt_epi8(_mm256_set1_epi8('Z' + 1), v));
  return _mm256_add_epi8(v, _mm256_and_si256(upper, case_bit));
}

// Bit i set when ASCII byte i of `v` is not a separator: bit (x >> 4) of lo_table[x & 15] marks
// separator x (the 16-byte table in both lanes).
__attribute__((target("avx2"))) inline uint32_t word_byte_mask(__m256i v, __m256i lo_table) {
  const __m256i hi_bits = _mm256_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 0, 0, 0, 0, 0, 0, 0, 0,
                                           1, 2, 4, 8, 16, 32, 64, -128, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i hit = _mm256_and_si256(
      _mm256_shuffle_epi8(lo_table, _mm256_and_si256(v, nibble)),
      _mm256_shuffle_epi8(hi_bits, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble)));
  return static_cast<uint32_t>(
      _mm256_movemask_epi8(_mm256_cmpeq_epi8(hit, _mm256_setzero_si256())));
}

}  // namespace

// The words of `text` as slices of its lowercased copy, 64 bytes per step: two 32-byte halves
// are lowercased (ASCII A-Z), stored, and classified with a nibble-table lookup into a 64-bit mask
// of separator bytes, whose runs of zeros are the words. A non-ASCII byte ends the vectorised part
// of a step; code points from there on are decoded and lowercased one at a time (as scan_words
// does) until the next ASCII byte.
__attribute__((target("avx2"))) void Tokenizer::scan_words_avx2(std::string_view text,
                                                                TokenBatch& batch) const {
  const size_t n = text.size();
  // The buffers only grow, so they soon fit the usual text. `lowered` keeps room for a 64-byte
  // store and 16 bytes of key loads past what is written: the text's size plus that covers ASCII
  // (one byte each); non-ASCII code points may grow (an ill-formed byte reads as the 3-byte
  // U+FFFD), so each step checks. Entries: a word per 6 bytes to start with, more when needed.
  constexpr size_t kRoom = 64 + 16;
  if (batch.lowered.size() < n + kRoom) batch.lowered.resize(n + kRoom + n / 8);
  if (batch.entries.size() < n / 6 + 16) batch.entries.resize(n / 6 + 16);
  char* out = &batch.lowered[0];
  TokenBatch::Entry* entries = batch.entries.data();
  size_t count = 0;
  size_t o = 0;          // bytes written to out
  bool open = false;     // a word is being read
  size_t start = 0;      // where it starts in out
  auto make_room = [&](size_t bytes) {
    if (o + bytes + kRoom <= batch.lowered.size()) return;
    batch.lowered.resize(2 * (o + bytes + kRoom));
    out = &batch.lowered[0];
  };
  auto emit = [&](size_t end) {
    if (count == batch.entries.size()) {
      batch.entries.resize(2 * count);
      entries = batch.entries.data();
    }
    const WordTable::Key key = WordTable::key_of_padded(out + start, end - start);
    entries[count++] = {key.k0, key.k1, key.hash, static_cast<uint32_t>(start), key.len};
  };
  const __m256i lo_table = _mm256_broadcastsi128_si256(
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(separator_nibbles_.data())));
  const __m256i case_bit = _mm256_set1_epi8(options_.lower ? 0x20 : 0);
  const char* data = text.data();
  size_t i = 0;
  char32_t lowered[2];
  while (i < n) {
    const size_t avail = n - i;
    __m256i a, b;
    if (avail >= 64) {
      a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i));
      b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i + 32));
    } else {
      alignas(32) char tail[64] = {};
      std::memcpy(tail, data + i, avail);
      a = _mm256_load_si256(reinterpret_cast<const __m256i*>(tail));
      b = _mm256_load_si256(reinterpret_cast<const __m256i*>(tail + 32));
    }
    const uint64_t high = static_cast<uint32_t>(_mm256_movemask_epi8(a)) |
                          static_cast<uint64_t>(static_cast<uint32_t>(_mm256_movemask_epi8(b)))
                              << 32;
    // Bytes [0, m) of the step are ASCII (m = 64 when all are and enough are left).
    size_t m = avail < 64 ? avail : 64;
    if (high != 0) m = std::min<size_t>(m, static_cast<size_t>(__builtin_ctzll(high)));
    if (m > 0) {
      make_room(64);
      const __m256i la = lower_ascii(a, case_bit);
      const __m256i lb = lower_ascii(b, case_bit);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + o), la);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + o + 32), lb);
      const uint64_t valid = m == 64 ? ~uint64_t{0} : (uint64_t{1} << m) - 1;
      uint64_t word_bytes = (word_byte_mask(la, lo_table) |
                             static_cast<uint64_t>(word_byte_mask(lb, lo_table)) << 32) &
                            valid;
      uint64_t separators = ~word_bytes & valid;
      while (true) {
        if (!open) {
          if (word_bytes == 0) break;
          const unsigned s = static_cast<unsigned>(__builtin_ctzll(word_bytes));
          start = o + s;
          open = true;
          separators &= ~uint64_t{0} << s;
        }
        if (separators == 0) break;  // the word goes on past this step
        const unsigned e = static_cast<unsigned>(__builtin_ctzll(separators));
        emit(o + e);
        open = false;
        word_bytes &= ~uint64_t{0} << e;
      }
      o += m;
      i += m;
    }
    // Non-ASCII code points, one at a time, up to the next ASCII byte.
    while (i < n && static_cast<unsigned char>(data[i]) >= 0x80) {
      const size_t k_count = next_code_point(text, i, lowered);
      make_room(8);  // two code points of up to 4 bytes
      for (size_t k = 0; k < k_count; ++k) {
        if (is_separator(lowered[k])) {
          if (open) emit(o);
          open = false;
        } else {
          if (!open) {
            open = true;
            start = o;
          }
          o += encode_utf8(lowered[k], out + o);
        }
      }
    }
  }
  if (open) emit(o);
  batch.count = count;
}
#endif

template <typename Resolve>
void Tokenizer::for_each_key(std::string_view text, TokenBatch& batch, const WordTable& table,
                             Resolve&& resolve) const {
  // Offsets are 32-bit and a text's words take at most 3x its bytes (an ill-formed byte reads as
  // the 3-byte U+FFFD).
  if (text.size() > kMaxTextBytes) {
    throw DataError("tokenizer: a text of " + std::to_string(text.size()) +
                    " bytes is over the limit of " + std::to_string(kMaxTextBytes) + " bytes");
  }
  const char* base = nullptr;
#if FM_TOKENIZER_AVX2
  if (simd_scan_) {
    scan_words_avx2(text, batch);
    base = batch.lowered.data();
  }
#endif
  if (base == nullptr) {
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
    batch.count = batch.entries.size();
    base = batch.words.data();
  }
  constexpr size_t kAhead = 16;
  const size_t n = batch.count;
  const TokenBatch::Entry* entries = batch.entries.data();
  auto key = [&](size_t i) {
    const TokenBatch::Entry& e = entries[i];
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
    const size_t count = next_code_point(text, i, lowered);
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

const Tokenizer::WordTable& Tokenizer::word_positions() const {
  WordPositions& cache = *word_pos_;
  std::call_once(cache.once, [&] {
    cache.table.reset(words_.size());
    auto tail = [&](uint32_t id) -> std::string_view { return words_[id - 1]; };
    bool inserted = false;
    visit_prefetched(cache.table, 0, words_.size(), [&](size_t pos) { return words_[pos]; },
                     [&](size_t pos, const WordTable::Key& key) {
                       cache.table.find_or_insert(key, static_cast<uint32_t>(pos + 1), tail,
                                                  inserted);
                     });
  });
  return cache.table;
}

Tokenizer::WordTable Tokenizer::take_word_positions() {
  word_positions();
  WordTable table = word_pos_.use_count() == 1 ? std::move(word_pos_->table) : word_pos_->table;
  word_pos_ = std::make_shared<WordPositions>();
  return table;
}

void Tokenizer::set_word_positions(WordTable table) {
  auto cache = std::make_shared<WordPositions>();
  std::call_once(cache->once, [&] { cache->table = std::move(table); });
  word_pos_ = std::move(cache);
}

size_t Tokenizer::find_word(std::string_view word) const {
  const WordTable::Slot* slot = word_positions().find(
      WordTable::key_of(word), [&](uint32_t id) -> std::string_view { return words_[id - 1]; });
  return slot == nullptr ? words_.size() : slot->id - 1;
}

size_t Tokenizer::add_word(WordTable& positions, std::string_view word) {
  if (words_.size() >= std::numeric_limits<uint32_t>::max() - 1) {
    throw DataError("tokenizer: more than 2^32 - 2 distinct words");
  }
  bool inserted = false;
  const WordTable::Slot* slot = positions.find_or_insert(
      WordTable::key_of(word), static_cast<uint32_t>(words_.size() + 1),
      [&](uint32_t id) -> std::string_view { return words_[id - 1]; }, inserted);
  if (inserted) {
    words_.push_back(word);
    stats_.emplace_back();
  }
  return slot->id - 1;
}

/// Texts [first, last) fitted by one chunk, or by a front and a back chunk from both ends: its
/// blocks of texts are claimed one at a time, the front chunk taking them in order from the start
/// and the back chunk from the end, so the two finish together however uneven the texts or the
/// two CPUs are (a fixed split waited for the slower half).
struct Tokenizer::FitRegion {
  size_t first = 0, last = 0;
  size_t bytes = 0;   // of its texts
  size_t blocks = 1;  // block b = texts [begin_of(b), begin_of(b + 1))
  bool paired = false;
  std::atomic<size_t> claimed{0};
  size_t begin_of(size_t b) const { return first + (last - first) * b / blocks; }
};

/// One thread's share of a fit: the words of its texts in the order it met them, their counts,
/// and (for fit_transform) every token's word.
struct Tokenizer::ChunkFit {
  WordTable table;                  // id = local word id (1-based), with count and last_doc
  WordList words;                   // in id order (first met first)
  std::vector<uint32_t> docs;       // per word: texts of the chunk that contain it
  std::vector<uint32_t> counts;     // per word: its tokens (read off the table by finish())
  bool keep_ids = false;            // (always for a back chunk: finish() reads them)
  bool back = false;                // fits its region from the end
  std::vector<uint32_t> ids;        // local id of every token, when keep_ids
  std::vector<uint32_t> lengths;    // tokens per text, when keep_ids
  // The texts fitted, in fitting order (ids and lengths follow it): [first_text, last_text), whose
  // tokens' ids start at ids[first_id].
  struct Span {
    size_t first_text, last_text, first_id;
  };
  std::vector<Span> spans;
  // A back chunk meets its blocks last to first, so the order it met its words in is not the
  // texts' order: `order` is its local ids in the texts' order (set by finish()). Empty for a
  // front chunk, whose id order is that order.
  std::vector<uint32_t> order;
  std::string_view word(uint32_t id) const { return words[id - 1]; }
  uint32_t id_at(size_t j) const { return order.empty() ? static_cast<uint32_t>(j + 1) : order[j]; }
  /// ids[first, last) are the tokens of spans[s].
  std::pair<size_t, size_t> id_range(size_t s) const {
    return {spans[s].first_id, s + 1 < spans.size() ? spans[s + 1].first_id : ids.size()};
  }
  /// After the fit: `counts` from the table, and a back chunk's `order`.
  void finish();
};

void Tokenizer::fit_chunk(const std::vector<std::string>& texts, FitRegion& region,
                          ChunkFit& chunk) const {
  // Sized for the distinct words of a typical text of this many bytes (about one per 100 bytes
  // for mail-sized corpora): fewer rehashes as it grows.
  const size_t bytes = region.paired ? region.bytes / 2 : region.bytes;
  chunk.table.reset(std::min<size_t>(std::max<size_t>(bytes / 128, 1024), size_t{1} << 20));
  if (chunk.keep_ids) {
    // About one token per 6 bytes of mail text; a guess too low only costs regrowth.
    chunk.ids.reserve(bytes / 5);
    chunk.lengths.reserve((region.last - region.first) / (region.paired ? 2 : 1));
  }
  auto tail = [&](uint32_t id) { return chunk.word(id); };
  TokenBatch batch;
  uint32_t doc = 0;
  for (size_t taken = 0; region.claimed.fetch_add(1, std::memory_order_relaxed) < region.blocks;
       ++taken) {
    const size_t b = chunk.back ? region.blocks - 1 - taken : taken;
    const size_t first = region.begin_of(b), last = region.begin_of(b + 1);
    chunk.spans.push_back({first, last, chunk.ids.size()});
    for (size_t t = first; t < last; ++t) {
      ++doc;
      const size_t before = chunk.ids.size();
      for_each_key(texts[t], batch, chunk.table, [&](const WordTable::Key& key) {
        bool inserted = false;
        WordTable::Slot* slot = chunk.table.find_or_insert(
            key, static_cast<uint32_t>(chunk.words.size() + 1), tail, inserted);
        if (inserted) {
          chunk.words.push_back(key.word);
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
}

void Tokenizer::ChunkFit::finish() {
  // (By docs: a fresh fit may have taken `words` away already.)
  const size_t n = docs.size();
  counts.assign(n, 0);
  for (const WordTable::Slot& slot : table.slots()) {
    if (slot.id != 0) counts[slot.id - 1] = slot.count;
  }
  if (!back) return;
  // Reads the tokens in the texts' order (spans last to first, each in order) until every word was
  // met: cheaper than tracking each word's first text and token while fitting (a hot loop).
  order.clear();
  order.reserve(n);
  std::vector<uint8_t> seen(n + 1, 0);
  for (size_t s = spans.size(); s-- > 0 && order.size() < n;) {
    const auto [first, last] = id_range(s);
    for (size_t i = first; i < last; ++i) {
      if (!seen[ids[i]]) {
        seen[ids[i]] = 1;
        order.push_back(ids[i]);
      }
    }
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
  // With two or more threads each region of texts is fitted by a front and a back chunk that meet
  // where they meet (FitRegion); chunk 2r is region r's front, 2r + 1 its back.
  if (texts.size() >= std::numeric_limits<uint32_t>::max()) {
    throw DataError("tokenizer: more than 2^32 - 2 texts in one fit");
  }
  const bool paired = threads >= 2 && texts.size() >= 2;
  const std::vector<size_t> bounds = split_by_bytes(texts, paired ? (threads + 1) / 2 : threads);
  std::vector<FitRegion> regions(bounds.size() - 1);
  for (size_t r = 0; r < regions.size(); ++r) {
    FitRegion& region = regions[r];
    region.first = bounds[r];
    region.last = bounds[r + 1];
    for (size_t t = region.first; t < region.last; ++t) region.bytes += texts[t].size();
    region.paired = paired;
    // Blocks small enough that the two chunks finish within a few hundred microseconds of each
    // other, few enough that claiming them costs nothing.
    region.blocks = paired ? std::min<size_t>(region.last - region.first, 512) : 1;
  }
  const size_t chunks = regions.size() * (paired ? 2 : 1);
  std::vector<ChunkFit> parts(chunks);
  run_jobs(chunks, threads, [&](size_t k) {
    parts[k].back = paired && k % 2 == 1;
    parts[k].keep_ids = sequences || parts[k].back;
    fit_chunk(texts, regions[paired ? k / 2 : k], parts[k]);
  });
  // position[k][local id - 1] = the word's position in words_.
  std::vector<std::vector<uint32_t>> position(chunks);
  constexpr uint32_t kNew = std::numeric_limits<uint32_t>::max();
  for (size_t k = 0; k < chunks; ++k) position[k].assign(parts[k].docs.size(), kNew);
  // A fresh fit adopts the first chunk whole (its words, in id order, are the first-seen order)
  // and finds the later chunks' words in that chunk's table, in parallel; only words new to the
  // first chunk are then merged one by one. A refit merges every chunk through the positions of
  // the words seen before.
  const bool adopt = words_.empty();
  WordTable positions;  // adopt: words new since the first chunk; else: all words
  if (adopt) {
    words_ = std::move(parts[0].words);  // (the chunk's ids are now positions + 1 in words_)
    stats_.resize(words_.size());
    std::iota(position[0].begin(), position[0].end(), uint32_t{0});
  } else {
    positions = take_word_positions();
  }
  // Jobs: finish each chunk (its counts, a back chunk's order); in a fresh fit, then the pieces of
  // the later chunks' words (up to 4096 each) to look up in the first chunk's table.
  constexpr size_t kPiece = 4096;
  std::vector<std::pair<size_t, size_t>> pieces;  // (chunk, first local id - 1)
  for (size_t k = 1; adopt && k < chunks; ++k) {
    for (size_t first = 0; first < position[k].size(); first += kPiece) {
      pieces.push_back({k, first});
    }
  }
  const WordTable& head = parts[0].table;
  auto tail = [&](uint32_t id) { return words_[id - 1]; };
  run_jobs(chunks + pieces.size(), threads, [&](size_t job) {
    if (job < chunks) {
      parts[job].finish();
      return;
    }
    const auto [k, first] = pieces[job - chunks];
    const size_t last = std::min(first + kPiece, position[k].size());
    visit_prefetched(
        head, first, last, [&](size_t j) { return parts[k].word(static_cast<uint32_t>(j + 1)); },
        [&](size_t j, const WordTable::Key& key) {
          const WordTable::Slot* slot = head.find(key, tail);
          if (slot != nullptr) position[k][j] = slot->id - 1;
        });
  });
  for (size_t k = 0; k < chunks; ++k) {
    const ChunkFit& part = parts[k];
    const size_t n = part.docs.size();
    for (size_t j = 0; j < n; ++j) {  // in first-seen order
      const uint32_t id = part.id_at(j);
      uint32_t& pos = position[k][id - 1];
      if (pos != kNew) continue;
      if (adopt && chunks == 2) {
        // New to the first chunk, and the only other chunk's words are distinct: append.
        pos = static_cast<uint32_t>(words_.size());
        words_.push_back(part.word(id));
        stats_.emplace_back();
      } else {
        pos = static_cast<uint32_t>(add_word(positions, part.word(id)));
      }
    }
    for (uint32_t id = 1; id <= n; ++id) {
      WordStats& stats = stats_[position[k][id - 1]];
      stats.docs += part.docs[id - 1];
      stats.count += part.counts[id - 1];
    }
  }
  if (adopt) {
    word_pos_ = std::make_shared<WordPositions>();  // built from words_ when asked for
  } else {
    set_word_positions(std::move(positions));
  }
  for (size_t k = adopt ? 1 : 0; k < chunks; ++k) {
    parts[k].table = WordTable();
    parts[k].words = WordList();
  }
  document_count_ += static_cast<int64_t>(texts.size());
  const std::vector<int64_t> index_of =
      rebuild_index(threads, adopt ? &parts[0].table : nullptr);
  parts[0].table = WordTable();
  parts[0].words = WordList();
  FlatSequences out;
  if (!sequences) return out;

  // Each chunk's local ids -> the sequence value (0 = dropped), as texts_to_sequences maps them.
  const int64_t limit = options_.num_words.value_or(0);
  std::vector<std::vector<int64_t>> value(chunks);
  bool drops = false;  // some word maps to nothing (no OOV token)
  for (size_t k = 0; k < chunks; ++k) {
    value[k].resize(position[k].size());
    for (size_t j = 0; j < position[k].size(); ++j) {
      const int64_t index = index_of[position[k][j]];
      value[k][j] = (limit == 0 || index < limit) ? index : oov_index_;
      drops |= value[k][j] == 0;
    }
  }
  // Kept tokens per text (all of them unless some word maps to nothing), then each range writes its
  // part of one flat buffer.
  out.offsets.assign(texts.size() + 1, 0);
  run_jobs(chunks, threads, [&](size_t k) {
    const ChunkFit& part = parts[k];
    const uint32_t* id = part.ids.data();  // (the spans' tokens follow each other)
    const uint32_t* length = part.lengths.data();
    for (const ChunkFit::Span& span : part.spans) {
      for (size_t t = span.first_text; t < span.last_text; ++t, ++length) {
        int64_t kept = *length;
        if (drops) {
          kept = std::count_if(id, id + *length, [&](uint32_t i) { return value[k][i - 1] != 0; });
        }
        id += *length;
        out.offsets[t + 1] = kept;
      }
    }
  });
  for (size_t t = 0; t < texts.size(); ++t) out.offsets[t + 1] += out.offsets[t];
  out.values.resize(static_cast<size_t>(out.offsets.back()));
  run_jobs(chunks, threads, [&](size_t k) {
    const ChunkFit& part = parts[k];
    const int64_t* map = value[k].data();
    for (size_t s = 0; s < part.spans.size(); ++s) {
      int64_t* dest = out.values.data() + out.offsets[part.spans[s].first_text];
      const auto [first, last] = part.id_range(s);
      for (size_t i = first; i < last; ++i) {
        const int64_t v = map[part.ids[i] - 1];
        if (v != 0) *dest++ = v;  // (a branchless store would write past this span's share)
      }
    }
  });
  return out;
}

std::vector<int64_t> Tokenizer::rebuild_index(int threads, WordTable* reuse) {
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
  index_used_.assign(first + order.size(), 1);
  index_used_[0] = 0;
  if (options_.oov_token) {
    const std::string& oov = *options_.oov_token;
    bool fitted = false;
    for (size_t pos = 0; pos < words_.size() && !fitted; ++pos) fitted = words_[pos] == oov;
    if (fitted) {
      index_used_[1] = 0;
    } else {
      index_word_[1] = oov;
    }
  }
  std::vector<int64_t> index_of(words_.size(), 0);
  for (size_t i = 0; i < order.size(); ++i) index_of[order[i]] = static_cast<int64_t>(first + i);
  // Job 0 builds the lookup table (from `reuse` when given); the others copy the words into
  // index_word_, a slice each (tens of thousands of strings).
  const size_t slices = std::max<size_t>(1, std::min<size_t>(threads, words_.size() / 16384 + 1));
  const std::string no_word;
  auto word_of_index = [&](uint32_t index) -> std::string_view {
    if (index >= first) return words_[order[index - first]];
    return index == 1 && options_.oov_token ? std::string_view(*options_.oov_token) : no_word;
  };
  run_jobs(1 + slices, threads, [&](size_t job) {
    if (job == 0) {
      if (reuse != nullptr) build_lookup(*reuse, index_of, word_of_index);
      return;
    }
    const size_t s = job - 1;
    const size_t begin = words_.size() * s / slices, end = words_.size() * (s + 1) / slices;
    for (size_t pos = begin; pos < end; ++pos) {
      index_word_[static_cast<size_t>(index_of[pos])] = words_[pos];
    }
  });
  if (reuse == nullptr) {
    rebuild_lookup();
  } else {
    word_index_cache_ = std::make_shared<WordIndexCache>();
    oov_index_ = options_.oov_token ? lookup(*options_.oov_token) : 0;
  }
  return index_of;
}

template <typename WordOfIndex>
void Tokenizer::build_lookup(WordTable& reuse, const std::vector<int64_t>& index_of,
                             WordOfIndex&& word_of_index) {
  // The reused slots hold words_[0, n) by position + 1: rewrite each id to the word's index, then
  // add the remaining words and the OOV token.
  index_table_ = std::move(reuse);
  size_t n = 0;
  for (WordTable::Slot& slot : index_table_.slots()) {
    if (slot.id == 0) continue;
    slot.id = static_cast<uint32_t>(index_of[slot.id - 1]);  // (count, last_doc: unused here)
    ++n;
  }
  bool inserted = false;
  visit_prefetched(
      index_table_, n, words_.size(), [&](size_t pos) { return words_[pos]; },
      [&](size_t pos, const WordTable::Key& key) {
        index_table_.find_or_insert(key, static_cast<uint32_t>(index_of[pos]), word_of_index,
                                    inserted);
      });
  if (options_.oov_token && index_used_[1]) {
    index_table_.find_or_insert(WordTable::key_of(*options_.oov_token), 1, word_of_index,
                                inserted);
  }
}

void Tokenizer::rebuild_lookup() {
  word_index_cache_ = std::make_shared<WordIndexCache>();
  size_t used = 0;
  for (char u : index_used_) used += u != 0;
  index_table_.reset(used);
  auto tail = [&](uint32_t index) -> std::string_view { return index_word_[index]; };
  bool inserted = false;
  for (size_t index = 1; index < index_word_.size(); ++index) {
    if (!index_used_[index]) continue;
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
  WordTable positions = tokenizer.take_word_positions();
  for (const auto& item : word_counts.items()) {
    const int64_t count = as_int(item.value(), "config.word_counts." + item.key());
    if (count < 1) json_error("config.word_counts." + item.key(), "expected a count >= 1");
    // (FlatObject has already merged a repeated key into its first position.)
    tokenizer.stats_[tokenizer.add_word(positions, item.key())].count = count;
  }
  tokenizer.set_word_positions(std::move(positions));
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
