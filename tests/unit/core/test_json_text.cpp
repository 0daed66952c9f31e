// fm::parse_json_text: every failure is "LINE:COL: reason" at the right place, and nesting is
// limited in linear time (positions checked by hand against the texts below).
#include <gtest/gtest.h>

#include <string>

#include "fm/io/json_text.h"

namespace {

fm::JsonTextError error_of(const std::string& text) {
  try {
    fm::parse_json_text(text);
  } catch (const fm::JsonTextError& e) {
    return e;
  }
  ADD_FAILURE() << "parsed: " << text;
  return fm::JsonTextError(0, 0, "");
}

TEST(JsonText, ParsesValidText) {
  const auto j = fm::parse_json_text("{\"a\": [1, 2, {\"b\": \"[{\"}]}");
  EXPECT_EQ(j["a"][2]["b"], "[{");
}

TEST(JsonText, SyntaxErrorAtLineAndColumn) {
  const auto e = error_of("{\n  \"a\": 1,\n  \"b\": ]\n}");
  EXPECT_EQ(e.line(), 3u);
  EXPECT_EQ(e.column(), 8u);  // the ']'
  EXPECT_EQ(std::string(e.what()).rfind("3:8: malformed JSON: syntax error", 0), 0u) << e.what();
}

TEST(JsonText, NumberOverflowNamesTheNumberAndItsPosition) {
  // nlohmann reports no position for out_of_range.406; the standalone 1e309 is at 3:8 (the one
  // inside the string does not count).
  const auto e = error_of("{\"s\": \"1e309\",\n \"t\": [21e3],\n \"lr\": 1e309}");
  EXPECT_EQ(e.line(), 3u);
  EXPECT_EQ(e.column(), 8u);
  EXPECT_NE(std::string(e.what()).find("number overflow parsing '1e309'"), std::string::npos);
}

TEST(JsonText, EmptyTextIsAnErrorAtTheStart) {
  const auto e = error_of("");
  EXPECT_EQ(e.line(), 1u);
  EXPECT_EQ(e.column(), 1u);
}

TEST(JsonText, DeepNestingIsRefusedAtTheFirstBracketTooDeep) {
  const std::string ok = std::string(fm::kMaxJsonDepth, '[') + std::string(fm::kMaxJsonDepth, ']');
  EXPECT_NO_THROW(fm::parse_json_text(ok));
  const auto e = error_of("\n" + std::string(fm::kMaxJsonDepth + 1, '[') +
                          std::string(fm::kMaxJsonDepth + 1, ']'));
  EXPECT_EQ(e.line(), 2u);
  EXPECT_EQ(e.column(), static_cast<std::size_t>(fm::kMaxJsonDepth) + 1);
  EXPECT_NE(e.reason().find("nested deeper than 256 levels"), std::string::npos);
}

TEST(JsonText, BracketsInStringsDoNotCount) {
  const std::string deep_string = "\"" + std::string(1000, '[') + "\\\"" + std::string(1000, '{') + "\"";
  EXPECT_NO_THROW(fm::parse_json_text(deep_string));
}

TEST(JsonText, HostileDepthIsRefused) {
  // 300 000 levels (the bad-input corpus' case; it took minutes before the limit).
  const std::string text = std::string(300000, '[') + std::string(300000, ']');
  EXPECT_THROW(fm::parse_json_text(text), fm::JsonTextError);
}

TEST(JsonText, OrderedJsonKeepsKeyOrder) {
  const auto j = fm::parse_json_text<nlohmann::ordered_json>("{\"z\": 1, \"a\": 2}");
  EXPECT_EQ(j.begin().key(), "z");
}

}  // namespace
