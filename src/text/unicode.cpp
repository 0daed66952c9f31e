#include "fm/text/unicode.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdint>
#include <iterator>

namespace fm {
namespace {

struct Range {
  char32_t first;
  char32_t last;
};

// Other_Lowercase and Other_Uppercase of PropList.txt (Unicode 14.0, Python 3.11's version): the
// cased characters outside the Lu/Ll/Lt categories.
constexpr Range kOtherCased[] = {
    {0x00AA, 0x00AA},   {0x00BA, 0x00BA},   {0x02B0, 0x02B8},   {0x02C0, 0x02C1},
    {0x02E0, 0x02E4},   {0x0345, 0x0345},   {0x037A, 0x037A},   {0x1D2C, 0x1D6A},
    {0x1D78, 0x1D78},   {0x1D9B, 0x1DBF},   {0x2071, 0x2071},   {0x207F, 0x207F},
    {0x2090, 0x209C},   {0x2160, 0x217F},   {0x24B6, 0x24E9},   {0x2C7C, 0x2C7D},
    {0xA69C, 0xA69D},   {0xA770, 0xA770},   {0xA7F8, 0xA7F9},   {0xAB5C, 0xAB5F},
    {0x10780, 0x10780}, {0x10783, 0x10785}, {0x10787, 0x107B0}, {0x107B2, 0x107BA},
    {0x1F130, 0x1F149}, {0x1F150, 0x1F169}, {0x1F170, 0x1F189},
};

// Word_Break MidLetter, MidNumLet and Single_Quote: the case-ignorable characters outside the
// Mn/Me/Cf/Lm/Sk categories.
constexpr char32_t kWordBreakIgnorable[] = {0x0027, 0x002E, 0x003A, 0x00B7, 0x0387, 0x055F,
                                           0x05F4, 0x2018, 0x2019, 0x2024, 0x2027, 0xFE13,
                                           0xFE52, 0xFE55, 0xFF07, 0xFF0E, 0xFF1A};

constexpr char32_t kCapitalSigma = 0x03A3;
constexpr char32_t kSmallSigma = 0x03C3;
constexpr char32_t kFinalSigma = 0x03C2;
constexpr char32_t kCapitalIWithDot = 0x0130;
constexpr char32_t kCombiningDotAbove = 0x0307;

bool in_ranges(char32_t cp) {
  auto it = std::upper_bound(std::begin(kOtherCased), std::end(kOtherCased), cp,
                             [](char32_t c, const Range& r) { return c < r.first; });
  return it != std::begin(kOtherCased) && cp <= std::prev(it)->last;
}

bool is_continuation(unsigned char b) { return (b & 0xC0) == 0x80; }

// Decodes the code point that ends right before byte `end`; returns false when the bytes there
// do not form one well-formed code point (the caller then treats it as U+FFFD).
bool decode_before(std::string_view text, size_t end, size_t& begin, char32_t& cp) {
  size_t start = end - 1;
  while (start > 0 && end - start < 4 && is_continuation(static_cast<unsigned char>(text[start]))) {
    --start;
  }
  size_t offset = start;
  cp = decode_utf8(text, offset);
  begin = start;
  if (offset != end) {
    begin = end - 1;
    cp = kReplacementCharacter;
    return false;
  }
  return true;
}

// CPython's handle_capital_sigma: Σ is final when preceded by a cased letter and not followed by
// one, skipping case-ignorable characters on both sides.
char32_t lower_sigma(std::string_view text, size_t begin, size_t end) {
  char32_t cp = 0;
  bool found_before = false;
  size_t pos = begin;
  while (pos > 0) {
    size_t prev = 0;
    decode_before(text, pos, prev, cp);
    pos = prev;
    if (!is_case_ignorable(cp)) {
      found_before = true;
      break;
    }
  }
  if (!found_before || !is_cased(cp)) return kSmallSigma;
  pos = end;
  while (pos < text.size()) {
    cp = decode_utf8(text, pos);
    if (!is_case_ignorable(cp)) return is_cased(cp) ? kSmallSigma : kFinalSigma;
  }
  return kFinalSigma;
}

}  // namespace

char32_t decode_utf8(std::string_view text, size_t& offset) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  const unsigned char b0 = s[offset];
  if (b0 < 0x80) {
    ++offset;
    return b0;
  }
  // Table 3-7 of the Unicode standard: the allowed range of the second byte depends on the first.
  size_t need = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  char32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    ++offset;
    return kReplacementCharacter;
  }
  size_t pos = offset + 1;
  for (size_t k = 0; k < need; ++k, ++pos) {
    if (pos >= n) {
      offset = pos;
      return kReplacementCharacter;
    }
    const unsigned char b = s[pos];
    if (b < lo || b > hi) {
      offset = pos;
      return kReplacementCharacter;
    }
    lo = 0x80;
    hi = 0xBF;
    cp = (cp << 6) | (b & 0x3F);
  }
  offset = pos;
  return cp;
}

bool is_valid_utf8(std::string_view text, size_t* error_offset) {
  size_t offset = 0;
  const size_t n = text.size();
  while (offset < n) {
    if (static_cast<unsigned char>(text[offset]) < 0x80) {
      ++offset;
      continue;
    }
    const size_t start = offset;
    // U+FFFD itself is valid input, so an invalid sequence is recognised by its length instead.
    const char32_t cp = decode_utf8(text, offset);
    if (cp == kReplacementCharacter &&
        !(offset - start == 3 && static_cast<unsigned char>(text[start]) == 0xEF &&
          static_cast<unsigned char>(text[start + 1]) == 0xBF &&
          static_cast<unsigned char>(text[start + 2]) == 0xBD)) {
      if (error_offset != nullptr) *error_offset = start;
      return false;
    }
  }
  return true;
}

size_t utf8_length(std::string_view text) {
  size_t count = 0;
  size_t offset = 0;
  while (offset < text.size()) {
    if (static_cast<unsigned char>(text[offset]) < 0x80) {
      ++offset;
    } else {
      decode_utf8(text, offset);
    }
    ++count;
  }
  return count;
}

std::vector<char32_t> utf8_code_points(std::string_view text) {
  std::vector<char32_t> out;
  out.reserve(text.size());
  size_t offset = 0;
  while (offset < text.size()) out.push_back(decode_utf8(text, offset));
  return out;
}

size_t encode_utf8(char32_t cp, char* out) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = kReplacementCharacter;
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

void append_utf8(std::string& out, char32_t cp) {
  char bytes[4];
  out.append(bytes, encode_utf8(cp, bytes));
}

std::string utf8_encode(char32_t cp) {
  std::string out;
  append_utf8(out, cp);
  return out;
}

bool is_cased(char32_t cp) {
  if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  const auto category = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return category == UTF8PROC_CATEGORY_LU || category == UTF8PROC_CATEGORY_LL ||
         category == UTF8PROC_CATEGORY_LT || in_ranges(cp);
}

bool is_case_ignorable(char32_t cp) {
  if (std::binary_search(std::begin(kWordBreakIgnorable), std::end(kWordBreakIgnorable), cp)) {
    return true;
  }
  if (cp < 0x80) return cp == '^' || cp == '`';
  const auto category = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return category == UTF8PROC_CATEGORY_MN || category == UTF8PROC_CATEGORY_ME ||
         category == UTF8PROC_CATEGORY_CF || category == UTF8PROC_CATEGORY_LM ||
         category == UTF8PROC_CATEGORY_SK;
}

size_t lower_code_point(std::string_view text, size_t begin, size_t end, char32_t cp,
                        char32_t out[2]) {
  if (cp < 0x80) {
    out[0] = (cp >= 'A' && cp <= 'Z') ? cp + ('a' - 'A') : cp;
    return 1;
  }
  if (cp == kCapitalIWithDot) {
    out[0] = 'i';
    out[1] = kCombiningDotAbove;
    return 2;
  }
  if (cp == kCapitalSigma) {
    out[0] = lower_sigma(text, begin, end);
    return 1;
  }
  out[0] = static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)));
  return 1;
}

std::string utf8_lower(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t offset = 0;
  char32_t lowered[2];
  while (offset < text.size()) {
    const unsigned char b = static_cast<unsigned char>(text[offset]);
    if (b < 0x80) {
      out.push_back(static_cast<char>((b >= 'A' && b <= 'Z') ? b + ('a' - 'A') : b));
      ++offset;
      continue;
    }
    const size_t begin = offset;
    const char32_t cp = decode_utf8(text, offset);
    const size_t count = lower_code_point(text, begin, offset, cp, lowered);
    for (size_t k = 0; k < count; ++k) append_utf8(out, lowered[k]);
  }
  return out;
}

}  // namespace fm
