// Expected values from the Unicode standard (Table 3-7, SpecialCasing.txt) and checked against
// Python 3.11 (`bytes.decode("utf-8", "replace")`, `str.lower()`); tests/python/test_keras_text.py
// sweeps every assigned code point.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fm/text/unicode.h"

namespace {

TEST(Utf8, ValidatesWellFormedText) {
  EXPECT_TRUE(fm::is_valid_utf8(""));
  EXPECT_TRUE(fm::is_valid_utf8("plain ascii"));
  EXPECT_TRUE(fm::is_valid_utf8("\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));  // é € 😀
  EXPECT_TRUE(fm::is_valid_utf8("\xEF\xBF\xBD"));                          // U+FFFD itself
  EXPECT_TRUE(fm::is_valid_utf8("\xF4\x8F\xBF\xBF"));                      // U+10FFFF
}

TEST(Utf8, RejectsIllFormedTextWithOffset) {
  size_t offset = 99;
  EXPECT_FALSE(fm::is_valid_utf8("\xC0\xAF", &offset));  // overlong '/'
  EXPECT_EQ(offset, 0u);
  EXPECT_FALSE(fm::is_valid_utf8("a\xED\xA0\x80", &offset));  // surrogate U+D800
  EXPECT_EQ(offset, 1u);
  EXPECT_FALSE(fm::is_valid_utf8("ok\xF4\x90\x80\x80", &offset));  // above U+10FFFF
  EXPECT_EQ(offset, 2u);
  EXPECT_FALSE(fm::is_valid_utf8("ab\xE2\x82", &offset));  // truncated
  EXPECT_EQ(offset, 2u);
  EXPECT_FALSE(fm::is_valid_utf8("\x80", &offset));  // lone continuation byte
  EXPECT_EQ(offset, 0u);
  EXPECT_FALSE(fm::is_valid_utf8("\xEF\xBF", nullptr));
}

TEST(Utf8, LengthCountsCodePointsAndMaximalSubparts) {
  EXPECT_EQ(fm::utf8_length(""), 0u);
  EXPECT_EQ(fm::utf8_length("h\xC3\xA9llo"), 5u);
  EXPECT_EQ(fm::utf8_length("\xF0\x9F\x98\x80"), 1u);
  // Python: len(b"...".decode("utf-8", "replace"))
  EXPECT_EQ(fm::utf8_length("\xE2\x82" "a"), 2u);
  EXPECT_EQ(fm::utf8_length("\xF0\x80\x80"), 3u);
  EXPECT_EQ(fm::utf8_length("\xC0\xAF"), 2u);
  EXPECT_EQ(fm::utf8_length("a\xED\xA0\x80"), 4u);
  EXPECT_EQ(fm::utf8_length("\xF0\x9F\x98"), 1u);
}

TEST(Utf8, DecodesAndEncodes) {
  EXPECT_EQ(fm::utf8_code_points("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xFF"),
            (std::vector<char32_t>{U'a', 0xE9, 0x20AC, 0x1F600, 0xFFFD}));
  size_t offset = 1;
  EXPECT_EQ(fm::decode_utf8("a\xC3\xA9", offset), 0xE9u);
  EXPECT_EQ(offset, 3u);
  EXPECT_EQ(fm::utf8_encode(0x20AC), "\xE2\x82\xAC");
  EXPECT_EQ(fm::utf8_encode(0x1F600), "\xF0\x9F\x98\x80");
  EXPECT_EQ(fm::utf8_encode(0xD800), "\xEF\xBF\xBD");
  EXPECT_EQ(fm::utf8_encode(0x110000), "\xEF\xBF\xBD");
}

TEST(Utf8Lower, MatchesPythonStrLower) {
  EXPECT_EQ(fm::utf8_lower("Hello WORLD 123"), "hello world 123");
  EXPECT_EQ(fm::utf8_lower("ÀÉÎ ÇA"), "àéî ça");
  EXPECT_EQ(fm::utf8_lower("ẞ Ǆ ǅ \xE2\x84\xAA Ⅻ Ⓐ"), "ß ǆ ǆ k ⅻ ⓐ");  // Kelvin sign → k
  EXPECT_EQ(fm::utf8_lower("ΩΜΕΓΑ 東京 😀"), "ωμεγα 東京 😀");
}

TEST(Utf8Lower, CapitalIWithDotUsesTheFullMapping) {
  // SpecialCasing.txt: U+0130 → U+0069 U+0307 (utf8proc_tolower gives plain 'i').
  EXPECT_EQ(fm::utf8_lower("İ"), "i\xCC\x87");
  EXPECT_EQ(fm::utf8_length(fm::utf8_lower("İSTANBUL")), 9u);
}

TEST(Utf8Lower, FinalSigma) {
  EXPECT_EQ(fm::utf8_lower("ΟΔΟΣ"), "οδος");
  EXPECT_EQ(fm::utf8_lower("ΟΔΟΣ."), "οδος.");
  EXPECT_EQ(fm::utf8_lower("ΟΔΟΣ's"), "οδοσ's");  // ' is skipped, s is cased → not final
  EXPECT_EQ(fm::utf8_lower("ΑΣ'Α"), "ασ'α");
  EXPECT_EQ(fm::utf8_lower("Σ"), "σ");   // nothing cased before
  EXPECT_EQ(fm::utf8_lower("1Σ"), "1σ");
  EXPECT_EQ(fm::utf8_lower("a\xCC\x81Σ"), "a\xCC\x81ς");  // combining acute is skipped
  EXPECT_EQ(fm::utf8_lower("ªΣ"), "ªς");                  // ª is cased (Other_Lowercase)
  EXPECT_EQ(fm::utf8_lower("ΣΑΣ ΣΑΣ"), "σας σας");
}

TEST(Utf8Lower, IllFormedBytesBecomeReplacementCharacters) {
  EXPECT_EQ(fm::utf8_lower("A\xFF" "B"), "a\xEF\xBF\xBD" "b");
}

TEST(CaseProperties, CasedAndCaseIgnorable) {
  EXPECT_TRUE(fm::is_cased(U'a'));
  EXPECT_TRUE(fm::is_cased(U'Z'));
  EXPECT_TRUE(fm::is_cased(0x01C5));  // ǅ titlecase
  EXPECT_TRUE(fm::is_cased(0x00AA));  // ª
  EXPECT_TRUE(fm::is_cased(0x2160));  // Ⅰ
  EXPECT_FALSE(fm::is_cased(U'1'));
  EXPECT_FALSE(fm::is_cased(0x6771));  // 東
  EXPECT_TRUE(fm::is_case_ignorable(U'\''));
  EXPECT_TRUE(fm::is_case_ignorable(U'.'));
  EXPECT_TRUE(fm::is_case_ignorable(U':'));
  EXPECT_TRUE(fm::is_case_ignorable(0x0301));  // combining acute (Mn)
  EXPECT_TRUE(fm::is_case_ignorable(0x00AD));  // soft hyphen (Cf)
  EXPECT_TRUE(fm::is_case_ignorable(0x2019));  // right single quotation mark
  EXPECT_FALSE(fm::is_case_ignorable(U'a'));
  EXPECT_FALSE(fm::is_case_ignorable(U','));
  EXPECT_FALSE(fm::is_case_ignorable(U' '));
}

}  // namespace
