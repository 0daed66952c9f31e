#pragma once
// Cuts a text into the tokenizer's words (Keras' text_to_word_sequence) or code points: a portable
// scanner (word_scanner.cpp) and a vectorised one (word_scanner_avx2.cpp), chosen at run time.
// Private to src/text/.

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fm/text/tokenizer.h"
#include "fm/text/unicode.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FM_TOKENIZER_AVX2 1  // compiled for target("avx2") functions, used when the CPU has AVX2
#else
#define FM_TOKENIZER_AVX2 0
#endif

namespace fm::text_detail {

/// Longest text the scanners accept: word offsets are 32-bit and a text's words take at most 3x
/// its bytes (an ill-formed byte reads as the 3-byte U+FFFD).
constexpr size_t kMaxTextBytes = size_t{1} << 30;

/// A word being built: its (lowercased) bytes, in a buffer with kSlack bytes of room past the end
/// so the vectorised loop can store 16 bytes at a time. Cleared after each word, so it stays small.
class WordBuffer {
 public:
  static constexpr size_t kSlack = 16;
  /// keep = false: each flush empties the buffer (one word at a time). keep = true: words stay
  /// back to back, so a whole text's words can be looked up after it is scanned.
  explicit WordBuffer(bool keep = false) : buffer_(64, '\0'), keep_(keep) {}
  /// Room for `extra` more bytes plus the slack.
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

/// The words of one text with their keys: a text is tokenized whole before its words are looked
/// up, so each lookup can prefetch the table slot of a word a few places ahead (most of a fit's
/// time was the wait for slots of the less frequent words). Word views are offsets into `words`
/// (the portable scanner: words back to back) or `lowered` (the vectorised one: the lowercased
/// text, words being slices of it), either of which may move while the text is scanned.
struct TokenBatch {
  struct Entry {
    uint64_t k0, k1, hash;
    uint32_t offset, len;
  };
  WordBuffer words{/*keep=*/true};
  std::string lowered;
  std::vector<Entry> entries;
  size_t count = 0;  // entries used
};

/// The word splitter of one set of tokenizer options: byte tables built once, then const (several
/// threads may scan with one scanner).
class WordScanner {
 public:
  /// `options` must be valid (Tokenizer's constructor checks them).
  explicit WordScanner(const TokenizerOptions& options);
  /// Keras `text_to_word_sequence` (or the code points when char_level).
  std::vector<std::string> split(std::string_view text) const;
  /// Tokenizes `text` into `batch` (entries [0, batch.count) with their keys); returns the base
  /// that the entries' offsets are relative to. Throws fm::DataError for a text over
  /// kMaxTextBytes.
  const char* scan(std::string_view text, TokenBatch& batch) const;

 private:
  /// Decodes the code point at text[i] (an ill-formed sequence reads as U+FFFD), advances i past
  /// it, and lowercases it when lower_: writes one or two code points, returns how many.
  size_t next_code_point(std::string_view text, size_t& i, char32_t out[2]) const {
    const size_t begin = i;
    const char32_t cp = decode_utf8(text, i);
    out[0] = cp;
    return lower_ ? lower_code_point(text, begin, i, cp, out) : 1;
  }
  bool is_separator(char32_t cp) const;
  template <typename Emit>
  void for_each_token(std::string_view text, Emit&& emit) const;
  template <typename Emit>
  void scan_words(std::string_view text, WordBuffer& word, Emit&& emit) const;
  template <typename Emit>
  void for_each_token_general(std::string_view text, Emit&& emit) const;
  template <typename Emit>
  void for_each_char(std::string_view text, Emit&& emit) const;
  /// The vectorised scan_words (AVX2; the CPU is checked once): fills batch.lowered and the
  /// entries.
  void scan_avx2(std::string_view text, TokenBatch& batch) const;
  /// Whether scan_avx2 can run here (an x86-64 CPU with AVX2, and FM_TOKENIZER_SIMD is not "0").
  static bool avx2_available();

  bool lower_;
  bool char_level_;
  std::string split_;
  // ASCII byte → separator? (a filter or the one-byte split, after lowercasing) and kept byte.
  std::array<bool, 128> ascii_separator_{};
  // Byte → what the word splitter does with it (kKeepByte, kSeparatorByte, ...); lets the hot
  // loop skip over runs of plain bytes.
  static constexpr uint8_t kKeepByte = 0;
  static constexpr uint8_t kSeparatorByte = 1;
  static constexpr uint8_t kChangedByte = 2;
  static constexpr uint8_t kNonAsciiByte = 3;
  std::array<uint8_t, 256> byte_class_{};
  std::array<char, 128> ascii_output_{};
  std::vector<char32_t> non_ascii_filters_;  // sorted
  char32_t split_code_point_ = ' ';
  bool split_is_one_code_point_ = true;
  // No ASCII letter or digit is a separator: the word loop may copy runs of them 16 at a time.
  bool simd_alnum_ = false;
  // For scan_avx2: bit (b >> 4) of [b & 15] is set when ASCII byte b (after lowercasing) is a
  // separator; and whether that scanner is used (one-code-point split, not char_level).
  std::array<uint8_t, 16> separator_nibbles_{};
  bool simd_scan_ = false;
};

inline bool WordScanner::is_separator(char32_t cp) const {
  if (cp < 0x80) return ascii_separator_[cp];
  return (split_is_one_code_point_ && cp == split_code_point_) ||
         std::binary_search(non_ascii_filters_.begin(), non_ascii_filters_.end(), cp);
}

}  // namespace fm::text_detail
