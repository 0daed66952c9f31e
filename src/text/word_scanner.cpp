// The portable word scanner, the scanners of the other splitting modes (multi-code-point split,
// char_level), and the choice between them and the AVX2 scanner.

#include "text/word_scanner.h"

#include <string>

#include "fm/error.h"
#include "text/word_table.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#define FM_TOKENIZER_SSE2 1
#else
#define FM_TOKENIZER_SSE2 0
#endif

namespace fm::text_detail {

namespace {

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }

// True when text[begin, end) is the well-formed encoding of `cp` (an ill-formed sequence decodes
// to U+FFFD, which must then be written out instead of the original bytes).
bool decoded_verbatim(std::string_view text, size_t begin, size_t end, char32_t cp) {
  return cp != kReplacementCharacter || text.substr(begin, end - begin) == "\xEF\xBF\xBD";
}

#if FM_TOKENIZER_SSE2
// 16 bytes at a time: copies (lowercased when `lower`) the run of ASCII letters and digits that
// starts at data[i] into `word`, for options under which they are plain word bytes; returns the
// index past the run (or the first i with fewer than 16 bytes left).
inline size_t copy_alnum_run(const char* data, size_t i, size_t n, bool lower, WordBuffer& word) {
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
    const auto plain = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(letter, digit)));
    const __m128i out = lower ? _mm_add_epi8(v, _mm_and_si128(upper, _mm_set1_epi8(0x20))) : v;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(word.reserve(16)), out);
    if (plain == 0xFFFF) {
      word.grow(16);
      i += 16;
      continue;
    }
    const auto run = static_cast<size_t>(__builtin_ctz(~plain));
    word.grow(run);
    return i + run;
  }
  return i;
}

// 16 bytes at a time: the index past the run of bytes equal to data[i - 1] that starts at data[i]
// (or the first i with fewer than 16 bytes left).
inline size_t skip_repeated_byte(const char* data, size_t i, size_t n) {
  while (i + 16 <= n) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
    const auto same = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(data[i - 1]))));
    if (same != 0xFFFF) return i + static_cast<size_t>(__builtin_ctz(~same));
    i += 16;
  }
  return i;
}
#endif

}  // namespace

WordScanner::WordScanner(const TokenizerOptions& options)
    : lower_(options.lower), char_level_(options.char_level), split_(options.split) {
  const std::vector<char32_t> split_cps = utf8_code_points(options.split);
  split_is_one_code_point_ = split_cps.size() == 1;
  split_code_point_ = split_is_one_code_point_ ? split_cps[0] : 0;
  std::array<bool, 128> ascii_filter{};
  non_ascii_filters_.clear();
  for (char32_t cp : utf8_code_points(options.filters)) {
    if (cp < 0x80) {
      ascii_filter[cp] = true;
    } else {
      non_ascii_filters_.push_back(cp);
    }
  }
  std::sort(non_ascii_filters_.begin(), non_ascii_filters_.end());
  for (int b = 0; b < 128; ++b) {
    const char raw = static_cast<char>(b);
    const char out = lower_ ? ascii_lower(raw) : raw;
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
  simd_scan_ = avx2_available() && !char_level_ && split_is_one_code_point_;
  // The vectorised word loop copies ASCII letters and digits without looking them up: valid when
  // none of them is a separator (and upper case letters just become lower case ones).
  simd_alnum_ = true;
  for (int b = 0; b < 128; ++b) {
    const bool alnum = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9');
    if (alnum && ascii_separator_[b]) simd_alnum_ = false;
  }
}

std::vector<std::string> WordScanner::split(std::string_view text) const {
  std::vector<std::string> tokens;
  for_each_token(text, [&](std::string_view token) { tokens.emplace_back(token); });
  return tokens;
}

const char* WordScanner::scan(std::string_view text, TokenBatch& batch) const {
  if (text.size() > kMaxTextBytes) {
    throw DataError("tokenizer: a text of " + std::to_string(text.size()) +
                    " bytes is over the limit of " + std::to_string(kMaxTextBytes) + " bytes");
  }
#if FM_TOKENIZER_AVX2
  if (simd_scan_) {
    scan_avx2(text, batch);
    return batch.lowered.data();
  }
#endif
  batch.words.clear();
  batch.entries.clear();
  auto add = [&](std::string_view word) {
    const WordTable::Key key = WordTable::key_of(word);
    batch.entries.push_back({key.k0, key.k1, key.hash,
                             static_cast<uint32_t>(word.data() - batch.words.data()), key.len});
  };
  if (!char_level_ && split_is_one_code_point_) {
    scan_words(text, batch.words, add);
  } else {
    for_each_token(text, [&](std::string_view word) {
      batch.words.append(word);
      batch.words.flush(add);
    });
  }
  batch.count = batch.entries.size();
  return batch.words.data();
}

template <typename Emit>
void WordScanner::for_each_token(std::string_view text, Emit&& emit) const {
  if (char_level_) {
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

template <typename Emit>
void WordScanner::scan_words(std::string_view text, WordBuffer& word, Emit&& emit) const {
  // With a one-code-point separator, Keras' "replace each filter by split, then split" is the same
  // as cutting at every filter or separator code point. Each word's bytes are lowercased into
  // `word` and emitted at the next separator.
  const size_t n = text.size();
  const char* data = text.data();
  size_t i = 0;
  char32_t lowered[2];
  while (i < n) {
#if FM_TOKENIZER_SSE2
    if (simd_alnum_) {
      i = copy_alnum_run(data, i, n, lower_, word);
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
            i = skip_repeated_byte(data, i, n);
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

template <typename Emit>
void WordScanner::for_each_token_general(std::string_view text, Emit&& emit) const {
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
        transformed += split_;
      } else {
        append_utf8(transformed, c);
      }
    }
  }
  const std::string_view view(transformed);
  const std::string_view sep(split_);
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
void WordScanner::for_each_char(std::string_view text, Emit&& emit) const {
  std::string scratch;
  char32_t lowered[2];
  size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      if (lower_ && b >= 'A' && b <= 'Z') {
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
    if (lower_) count = lower_code_point(text, begin, i, cp, lowered);
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

}  // namespace fm::text_detail
