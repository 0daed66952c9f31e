// Expected matrices worked out by hand from keras_preprocessing 1.1's sequence.pad_sequences.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "fm/error.h"
#include "fm/text/padding.h"

namespace {

using Seq = std::vector<int64_t>;
const std::vector<Seq> kSequences = {{1, 2, 3}, {4, 5}, {}, {6, 7, 8, 9, 10}};

fm::PaddedSequences pad(std::optional<int64_t> maxlen, fm::PadSide padding, fm::PadSide truncating,
                        int64_t value = 0) {
  fm::PaddingOptions options;
  options.maxlen = maxlen;
  options.padding = padding;
  options.truncating = truncating;
  options.value = value;
  return fm::pad_sequences(kSequences, options);
}

constexpr auto kPre = fm::PadSide::kPre;
constexpr auto kPost = fm::PadSide::kPost;

TEST(PadSequences, DefaultsPadToLongestAtTheFront) {
  const auto out = fm::pad_sequences(kSequences);
  EXPECT_EQ(out.rows, 4);
  EXPECT_EQ(out.cols, 5);
  EXPECT_EQ(out.values, (Seq{0, 0, 1, 2, 3,  //
                             0, 0, 0, 4, 5,  //
                             0, 0, 0, 0, 0,  //
                             6, 7, 8, 9, 10}));
  EXPECT_EQ(out.lengths, (Seq{3, 2, 0, 5}));
}

TEST(PadSequences, PrePaddingPreTruncating) {
  const auto out = pad(3, kPre, kPre);
  EXPECT_EQ(out.values, (Seq{1, 2, 3, 0, 4, 5, 0, 0, 0, 8, 9, 10}));
  EXPECT_EQ(out.lengths, (Seq{3, 2, 0, 3}));
}

TEST(PadSequences, PostPaddingPostTruncating) {
  const auto out = pad(3, kPost, kPost);
  EXPECT_EQ(out.values, (Seq{1, 2, 3, 4, 5, 0, 0, 0, 0, 6, 7, 8}));
  EXPECT_EQ(out.lengths, (Seq{3, 2, 0, 3}));
}

TEST(PadSequences, MixedSides) {
  EXPECT_EQ(pad(3, kPre, kPost).values, (Seq{1, 2, 3, 0, 4, 5, 0, 0, 0, 6, 7, 8}));
  EXPECT_EQ(pad(3, kPost, kPre).values, (Seq{1, 2, 3, 4, 5, 0, 0, 0, 0, 8, 9, 10}));
}

TEST(PadSequences, CustomValueAndLongerMaxlen) {
  const auto out = pad(6, kPost, kPre, -1);
  EXPECT_EQ(out.cols, 6);
  EXPECT_EQ(out.values, (Seq{1,  2,  3,  -1, -1, -1,  //
                             4,  5,  -1, -1, -1, -1,  //
                             -1, -1, -1, -1, -1, -1,  //
                             6,  7,  8,  9,  10, -1}));
  EXPECT_EQ(out.lengths, (Seq{3, 2, 0, 5}));
}

TEST(PadSequences, EmptyInputsAndZeroMaxlen) {
  const auto none = fm::pad_sequences({});
  EXPECT_EQ(none.rows, 0);
  EXPECT_EQ(none.cols, 0);
  EXPECT_TRUE(none.values.empty());
  fm::PaddingOptions four;
  four.maxlen = 4;
  const auto no_rows = fm::pad_sequences({}, four);
  EXPECT_EQ(no_rows.rows, 0);
  EXPECT_EQ(no_rows.cols, 4);
  const auto only_empty = fm::pad_sequences({{}, {}}, four);
  EXPECT_EQ(only_empty.values, Seq(8, 0));
  EXPECT_EQ(only_empty.lengths, (Seq{0, 0}));
  const auto zero = pad(0, kPre, kPre);
  EXPECT_EQ(zero.rows, 4);
  EXPECT_EQ(zero.cols, 0);
  EXPECT_EQ(zero.lengths, (Seq{0, 0, 0, 0}));
}

TEST(PadSequences, NegativeMaxlenIsAConfigError) {
  fm::PaddingOptions options;
  options.maxlen = -1;
  EXPECT_THROW(fm::pad_sequences(kSequences, options), fm::ConfigError);
  EXPECT_THROW(fm::truncated_span(kSequences[0], -2, kPre), fm::ConfigError);
}

TEST(TruncatedSpan, KeepsTheSurvivingTokens) {
  const Seq s = {1, 2, 3, 4, 5};
  auto [first, count] = fm::truncated_span(s, 2, kPre);
  EXPECT_EQ(Seq(first, first + count), (Seq{4, 5}));
  std::tie(first, count) = fm::truncated_span(s, 2, kPost);
  EXPECT_EQ(Seq(first, first + count), (Seq{1, 2}));
  std::tie(first, count) = fm::truncated_span(s, std::nullopt, kPre);
  EXPECT_EQ(first, s.data());
  EXPECT_EQ(count, 5);
  std::tie(first, count) = fm::truncated_span(s, 9, kPost);
  EXPECT_EQ(count, 5);
  std::tie(first, count) = fm::truncated_span(s, 0, kPre);
  EXPECT_EQ(count, 0);
}

TEST(PadSide, ParsesAndPrints) {
  EXPECT_EQ(fm::parse_pad_side("pre"), kPre);
  EXPECT_EQ(fm::parse_pad_side("post"), kPost);
  EXPECT_STREQ(fm::to_string(kPre), "pre");
  EXPECT_STREQ(fm::to_string(kPost), "post");
  EXPECT_THROW(fm::parse_pad_side("Pre"), std::invalid_argument);
  EXPECT_THROW(fm::parse_pad_side(""), std::invalid_argument);
}

}  // namespace
