// Counterfactual data augmentation (fm/fairness/augmentation.h): whole-word, tokenisation-aware
// matching, case transfer, multi-word terms, every swap of a term, the per-example cap and its
// seeded sample, and the copies' labels/groups/ids. Expected texts are written out by hand.

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fm/error.h"
#include "fm/mitigation/augmentation.h"
#include "fm/fairness/identity_terms.h"

namespace {

using fm::IdentityTermCategory;
using fm::IdentityTermMatcher;

std::vector<IdentityTermCategory> religion() {
  return {{"religion", {"muslim", "christian", "jewish"}}};
}

/// The counterfactual texts only.
std::vector<std::string> texts(const std::string& text, const IdentityTermMatcher& m) {
  std::vector<std::string> out;
  for (auto& cf : fm::counterfactual_texts(text, m)) out.push_back(cf.text);
  return out;
}

TEST(Augmentation, SwapsEveryOtherTermOfTheCategory) {
  const IdentityTermMatcher m(religion(), fm::TokenizerOptions{});
  EXPECT_EQ(texts("my muslim neighbour", m),
            (std::vector<std::string>{"my christian neighbour", "my jewish neighbour"}));
  EXPECT_TRUE(texts("no identity here", m).empty());
}

TEST(Augmentation, PunctuationAndAllOccurrences) {
  const IdentityTermMatcher m(religion(), fm::TokenizerOptions{});
  EXPECT_EQ(texts("(muslim), muslim!\n\"muslim\"", m),
            (std::vector<std::string>{"(christian), christian!\n\"christian\"",
                                      "(jewish), jewish!\n\"jewish\""}));
  // Hyphen is one of Keras' filters: "muslim-owned" holds the word "muslim".
  EXPECT_EQ(texts("a muslim-owned shop", m)[0], "a christian-owned shop");
}

TEST(Augmentation, WholeWordsOnlyAsTheTokenizerCutsThem) {
  const IdentityTermMatcher m(religion(), fm::TokenizerOptions{});
  // Substrings of longer words never match.
  EXPECT_TRUE(texts("muslimah unmuslim muslims jewishness", m).empty());
  // The apostrophe is not a Keras filter: the tokenizer sees "muslim's", not "muslim".
  EXPECT_TRUE(texts("the muslim's house", m).empty());
  // With a tokenizer that filters the apostrophe too, it is a word boundary.
  fm::TokenizerOptions t;
  t.filters += "'";
  const IdentityTermMatcher m2(religion(), t);
  EXPECT_EQ(texts("the muslim's house", m2)[0], "the christian's house");
  // A tab is a separator only because it is in the default filters.
  EXPECT_EQ(texts("x\tmuslim", m)[0], "x\tchristian");
  fm::TokenizerOptions no_tab;
  no_tab.filters = "!.,";
  const IdentityTermMatcher m3(religion(), no_tab);
  EXPECT_TRUE(texts("x\tmuslim", m3).empty());  // Keras: one word "x\tmuslim"
}

TEST(Augmentation, CaseOfTheReplacedWordIsKept) {
  const IdentityTermMatcher m(religion(), fm::TokenizerOptions{});
  const auto out = texts("Muslim people. MUSLIM! muslim", m);
  // Each occurrence keeps its own pattern: capital first letter, all caps, lower case.
  EXPECT_EQ(out[0], "Christian people. CHRISTIAN! christian");
  // Matching is case-insensitive even when the tokenizer keeps case.
  fm::TokenizerOptions keep_case;
  keep_case.lower = false;
  const IdentityTermMatcher m2(religion(), keep_case);
  EXPECT_EQ(texts("Muslim", m2)[0], "Christian");
  EXPECT_EQ(fm::match_case("Über", "élan"), "Élan");
  EXPECT_EQ(fm::match_case("ÜBER", "élan"), "ÉLAN");
  EXPECT_EQ(fm::match_case("A", "élan"), "Élan");  // one capital letter: first letter only
  EXPECT_EQ(fm::match_case("über", "Élan"), "Élan");  // as listed when the original is lower
}

TEST(Augmentation, MultiWordTermsLongestFirst) {
  const std::vector<IdentityTermCategory> cats = {
      {"origin", {"native american", "american", "white"}}};
  const IdentityTermMatcher m(cats, fm::TokenizerOptions{});
  // "Native  American" (two spaces) is the two-word term, not "american" alone.
  EXPECT_EQ(texts("Native  American food", m),
            (std::vector<std::string>{"American food", "White food"}));
  EXPECT_EQ(texts("a white house", m),
            (std::vector<std::string>{"a native american house", "a american house"}));
  // "native" alone is not a term; "american" after it then matches on its own.
  const auto matches = m.find("native, american");
  ASSERT_EQ(matches.size(), 1u);  // "," is a separator: the two words still form the term
  EXPECT_EQ(matches[0].term, 0u);
  const auto single = m.find("native people, american");
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(single[0].term, 1u);
  EXPECT_EQ(single[0].begin, 15u);
  EXPECT_EQ(single[0].end, 23u);
}

TEST(Augmentation, SeveralCategoriesInOneText) {
  const auto all = fm::default_identity_terms();
  const auto cats = fm::select_categories(all, {"religion", "gender_plural"}, "x");
  const IdentityTermMatcher m(cats, fm::TokenizerOptions{});
  const auto cfs = fm::counterfactual_texts("Muslim women, muslim men", m);
  // religion: muslim → 9 others; gender_plural: women → 5 others, men → 5 others.
  ASSERT_EQ(cfs.size(), 9u + 5u + 5u);
  EXPECT_EQ(cfs[0].text, "Christian women, christian men");
  EXPECT_EQ(cfs[0].term, "muslim");
  EXPECT_EQ(cfs[9].text, "Muslim men, muslim men");  // women → men (first other term)
  EXPECT_EQ(cfs[14].text, "Muslim women, muslim women");  // men → women
}

fm::Dataset small_dataset() {
  fm::Dataset d;
  d.path = "train.csv";
  d.group_columns = {"religion"};
  d.examples.push_back({"r1", "A muslim said hi.", "toxic", {"muslim"}, 2});
  d.examples.push_back({"r2", "nothing to see", "non_toxic", {"none"}, 3});
  d.examples.push_back({"r3", "Jewish and muslim friends", "non_toxic", {"jewish"}, 4});
  return d;
}

TEST(Augmentation, DatasetCopiesKeepLabelGroupAndLine) {
  auto d = small_dataset();
  const IdentityTermMatcher m(religion(), fm::TokenizerOptions{});
  const auto counts = fm::augment_dataset(d, m, 0, 1);
  EXPECT_EQ(counts.original_rows, 3u);
  EXPECT_EQ(counts.rows_with_terms, 2u);
  EXPECT_EQ(counts.candidates, 2u + 4u);
  EXPECT_EQ(counts.copies, 6u);
  EXPECT_EQ(counts.capped_rows, 0u);
  EXPECT_EQ(counts.copies_per_category.at("religion"), 6u);
  ASSERT_EQ(d.examples.size(), 9u);
  EXPECT_EQ(d.examples[0].text, "A muslim said hi.");  // originals first, unchanged
  EXPECT_EQ(d.examples[3].id, "r1#cf1");
  EXPECT_EQ(d.examples[3].text, "A christian said hi.");
  EXPECT_EQ(d.examples[3].label, "toxic");
  EXPECT_EQ(d.examples[3].groups, (std::vector<std::string>{"muslim"}));
  EXPECT_EQ(d.examples[3].line, 2);
  EXPECT_EQ(d.examples[4].id, "r1#cf2");
  EXPECT_EQ(d.examples[5].id, "r3#cf1");
  EXPECT_EQ(d.examples[5].text, "Muslim and muslim friends");
  EXPECT_EQ(d.examples[5].groups, (std::vector<std::string>{"jewish"}));
  EXPECT_EQ(d.examples[8].text, "Jewish and jewish friends");
}

TEST(Augmentation, CapSamplesDeterministically) {
  const auto all = fm::default_identity_terms();
  const IdentityTermMatcher m(fm::select_categories(all, {"race"}, "x"), fm::TokenizerOptions{});
  fm::Dataset base;
  base.path = "t";
  for (int i = 0; i < 20; ++i) {
    base.examples.push_back({std::to_string(i), "my black neighbour " + std::to_string(i), "y",
                             {}, i + 2});
  }
  auto run = [&](std::size_t cap, uint64_t seed) {
    auto d = base;
    const auto c = fm::augment_dataset(d, m, cap, seed);
    return std::make_pair(c, d);
  };
  const auto [c1, d1] = run(3, 42);
  EXPECT_EQ(c1.candidates, 20u * 11u);
  EXPECT_EQ(c1.copies, 20u * 3u);
  EXPECT_EQ(c1.capped_rows, 20u);
  // Three distinct substitutes per example, never the original term.
  std::set<std::string> substitutes_seen;
  for (std::size_t r = 0; r < 20; ++r) {
    std::set<std::string> mine;
    for (std::size_t k = 0; k < 3; ++k) {
      const auto& ex = d1.examples[20 + 3 * r + k];
      EXPECT_EQ(ex.id, std::to_string(r) + "#cf" + std::to_string(k + 1));
      mine.insert(ex.text);
      EXPECT_EQ(ex.text.find("black"), std::string::npos);
      substitutes_seen.insert(ex.text.substr(3, ex.text.find(' ', 3) - 3));
    }
    EXPECT_EQ(mine.size(), 3u);
  }
  EXPECT_GT(substitutes_seen.size(), 6u);  // the sample varies between examples
  const auto [c2, d2] = run(3, 42);
  for (std::size_t i = 0; i < d1.examples.size(); ++i) EXPECT_EQ(d1.examples[i].text, d2.examples[i].text);
  const auto [c3, d3] = run(3, 43);
  bool differs = false;
  for (std::size_t i = 20; i < d1.examples.size(); ++i) differs |= d1.examples[i].text != d3.examples[i].text;
  EXPECT_TRUE(differs);
  // A cap at or above the candidates keeps every swap.
  EXPECT_EQ(run(11, 1).first.copies, 20u * 11u);
  EXPECT_EQ(run(11, 1).first.capped_rows, 0u);
}

TEST(Augmentation, SelectCategories) {
  const auto all = fm::default_identity_terms();
  EXPECT_EQ(fm::select_categories(all, {}, "x").size(), all.size());
  const auto two = fm::select_categories(all, {"race_plural", "race"}, "x");
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].name, "race_plural");
  try {
    fm::select_categories(all, {"race", "rase"}, "training.fairness.augmentation.categories");
    FAIL() << "no error";
  } catch (const fm::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(
                  "training.fairness.augmentation.categories[1]: unknown identity-term category "
                  "\"rase\" (categories: gender, ", 0),
              0u)
        << e.what();
  }
}

TEST(Augmentation, CountsJson) {
  fm::AugmentationCounts c;
  c.original_rows = 3;
  c.copies = 6;
  c.copies_per_category["religion"] = 6;
  const auto j = fm::augmentation_counts_to_json(c);
  EXPECT_EQ(j["copies"], 6);
  EXPECT_EQ(j["copies_per_category"]["religion"], 6);
}

}  // namespace
