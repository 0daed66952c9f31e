#pragma once
/// \file
/// UTF-8 helpers: validation, decoding with U+FFFD replacement, code-point counting, and
/// lowercasing with the exact result of Python's `str.lower()` (Keras lowercases texts with it).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace fm {

/// U+FFFD REPLACEMENT CHARACTER, produced for each maximal invalid subsequence when decoding.
constexpr char32_t kReplacementCharacter = 0xFFFD;

/// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates, nothing above
/// U+10FFFF, no truncated sequence). On false, `*error_offset` (when not null) receives the byte
/// offset of the first invalid byte sequence.
bool is_valid_utf8(std::string_view text, size_t* error_offset = nullptr);

/// Decodes the code point that starts at byte `offset` (which must be < text.size()) and advances
/// `offset` past it. An ill-formed sequence decodes to U+FFFD and `offset` advances past its
/// maximal subpart (at least one byte) — the Unicode "best practice" that Python's
/// `bytes.decode("utf-8", errors="replace")` follows.
char32_t decode_utf8(std::string_view text, size_t& offset);

/// Number of code points in `text`, counting each ill-formed subsequence as one U+FFFD
/// (so it equals `len(text.decode("utf-8", errors="replace"))` in Python).
size_t utf8_length(std::string_view text);

/// The code points of `text`, decoded as decode_utf8 does.
std::vector<char32_t> utf8_code_points(std::string_view text);

/// Writes the UTF-8 encoding of `cp` (1 to 4 bytes) at `out` and returns its length; a surrogate
/// or a value above U+10FFFF is written as U+FFFD.
size_t encode_utf8(char32_t cp, char* out);
/// Appends the UTF-8 encoding of `cp` (as encode_utf8).
void append_utf8(std::string& out, char32_t cp);

/// The UTF-8 encoding of one code point (see append_utf8).
std::string utf8_encode(char32_t cp);

/// Python's `str.lower()` of `text` (ill-formed bytes become U+FFFD first).
///
/// Per code point this is utf8proc's simple lowercase mapping (`utf8proc_tolower`) plus the two
/// places where Python applies the *full* mapping of SpecialCasing.txt:
///  - U+0130 'İ' lowercases to two code points "i̇" (U+0069 U+0307), not to 'i' as
///    `utf8proc_tolower` alone would give;
///  - U+03A3 'Σ' becomes final sigma 'ς' (U+03C2) when preceded by a cased letter and not followed
///    by one (case-ignorable characters such as apostrophes and combining marks are skipped on both
///    sides), else 'σ'.
/// The Unicode version of utf8proc (15.0 for utf8proc 2.8) may differ from Python's (14.0 for
/// Python 3.11); code points assigned only in the newer version may lowercase differently.
std::string utf8_lower(std::string_view text);

/// Python's lowercase of the single code point `cp`, which occupies bytes [begin, end) of `text`
/// (the surrounding text is only consulted for final sigma). Writes one or two code points to `out`
/// and returns how many.
size_t lower_code_point(std::string_view text, size_t begin, size_t end, char32_t cp,
                        char32_t out[2]);

/// Unicode derived property Cased (Lowercase, Uppercase or titlecase letter), as Python uses it.
bool is_cased(char32_t cp);

/// Unicode derived property Case_Ignorable (Mn, Me, Cf, Lm, Sk, and the word-break MidLetter,
/// MidNumLet and Single_Quote characters such as ' . :), as Python uses it.
bool is_case_ignorable(char32_t cp);

}  // namespace fm
