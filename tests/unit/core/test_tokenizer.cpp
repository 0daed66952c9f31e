// Expected values are worked out by hand from keras_preprocessing 1.1's text.py (and were checked
// against it); tests/python/test_keras_text.py compares with the real Keras on larger corpora.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "fm/error.h"
#include "fm/text/padding.h"
#include "fm/text/tokenizer.h"

namespace {

using Seq = std::vector<int64_t>;
using Words = std::vector<std::string>;

fm::Tokenizer fitted(fm::TokenizerOptions options, const std::vector<std::string>& texts) {
  fm::Tokenizer tokenizer(std::move(options));
  tokenizer.fit_on_texts(texts);
  return tokenizer;
}

TEST(Tokenizer, KerasDocumentationExample) {
  const auto tok = fitted({}, {"The cat sat on the mat.", "The dog ate my homework."});
  const std::unordered_map<std::string, int64_t> expected = {
      {"the", 1}, {"cat", 2}, {"sat", 3}, {"on", 4},       {"mat", 5},
      {"dog", 6}, {"ate", 7}, {"my", 8},  {"homework", 9}};
  EXPECT_EQ(tok.word_index(), expected);
  EXPECT_EQ(tok.document_count(), 2);
  EXPECT_EQ(tok.word_count("the"), 3);
  EXPECT_EQ(tok.word_doc_count("the"), 2);
  EXPECT_EQ(tok.word_doc_count("cat"), 1);
  EXPECT_EQ(tok.word_count("unseen"), 0);
  EXPECT_EQ(tok.vocab_size(), 10);
  EXPECT_EQ(tok.index_word()[1], "the");
  EXPECT_EQ(tok.index_word()[9], "homework");
  EXPECT_EQ(tok.text_to_sequence("The mat ate THE unknown cat!"), (Seq{1, 5, 7, 1, 2}));
}

TEST(Tokenizer, TiesKeepFirstSeenOrder) {
  EXPECT_EQ(fitted({}, {"b a", "a b c c"}).text_to_sequence("a b c"), (Seq{2, 1, 3}));
  EXPECT_EQ(fitted({}, {"x y y", "z z z"}).text_to_sequence("x y z"), (Seq{3, 2, 1}));
}

TEST(Tokenizer, IncrementalFitContinuesCounts) {
  fm::Tokenizer tok;
  tok.fit_on_texts({"b a"});
  tok.fit_on_texts({"a c c c"});
  // Counts a2 b1 c3, first-seen order b, a, c → c, a, b.
  EXPECT_EQ(tok.text_to_sequence("a b c"), (Seq{2, 3, 1}));
  EXPECT_EQ(tok.document_count(), 2);
}

TEST(Tokenizer, NumWordsWithoutOov) {
  fm::TokenizerOptions options;
  options.num_words = 3;
  const auto tok = fitted(options, {"a a a b b c"});
  // a1 b2 c3: only indices < 3 survive, unknown words are dropped.
  EXPECT_EQ(tok.text_to_sequence("a b c d"), (Seq{1, 2}));
  EXPECT_EQ(tok.vocab_size(), 3);
  EXPECT_EQ(tok.word_index().size(), 3u);  // the index itself keeps every word
}

TEST(Tokenizer, NumWordsWithOov) {
  fm::TokenizerOptions options;
  options.num_words = 3;
  options.oov_token = "<OOV>";
  const auto tok = fitted(options, {"a a a b b c"});
  // <OOV>1 a2 b3 c4: b and c are >= num_words and become OOV like the unknown d.
  EXPECT_EQ(tok.word_index().at("<OOV>"), 1);
  EXPECT_EQ(tok.oov_index(), 1);
  EXPECT_EQ(tok.text_to_sequence("a b c d"), (Seq{2, 1, 1, 1}));
  EXPECT_EQ(tok.vocab_size(), 3);
}

TEST(Tokenizer, NumWordsZeroOrUnsetKeepsEverything) {
  fm::TokenizerOptions options;
  options.num_words = 0;
  EXPECT_EQ(fitted(options, {"a a b c"}).text_to_sequence("c b a"), (Seq{3, 2, 1}));
  EXPECT_EQ(fitted(options, {"a a b c"}).vocab_size(), 4);
  fm::TokenizerOptions with_oov;
  with_oov.oov_token = "<OOV>";
  EXPECT_EQ(fitted(with_oov, {"a a b c"}).vocab_size(), 5);
  EXPECT_EQ(fitted(with_oov, {"a a b c"}).text_to_sequence("c z"), (Seq{4, 1}));
}

TEST(Tokenizer, OovTokenThatIsAlsoAFittedWord) {
  fm::TokenizerOptions options;
  options.oov_token = "unk";
  const auto tok = fitted(options, {"unk unk x"});
  // Keras: dict(zip(["unk", "unk", "x"], [1, 2, 3])) → unk:2, x:3, index 1 unused.
  const std::unordered_map<std::string, int64_t> expected = {{"unk", 2}, {"x", 3}};
  EXPECT_EQ(tok.word_index(), expected);
  EXPECT_EQ(tok.oov_index(), 2);
  EXPECT_EQ(tok.text_to_sequence("unk y x"), (Seq{2, 2, 3}));
  EXPECT_EQ(tok.vocab_size(), 4);
}

TEST(Tokenizer, CharLevelKeepsSpacesAndPunctuation) {
  fm::TokenizerOptions options;
  options.char_level = true;
  const auto tok = fitted(options, {"Ab a"});
  const std::unordered_map<std::string, int64_t> expected = {{"a", 1}, {"b", 2}, {" ", 3}};
  EXPECT_EQ(tok.word_index(), expected);
  EXPECT_EQ(tok.text_to_sequence("ba!"), (Seq{2, 1}));
  EXPECT_EQ(tok.split_text("É.ü"), (Words{"é", ".", "ü"}));
  options.lower = false;
  EXPECT_EQ(fm::Tokenizer(options).split_text("Aé😀"), (Words{"A", "é", "😀"}));
}

TEST(Tokenizer, UnicodeLowercasing) {
  const auto tok = fitted({}, {"ÉCOLE école"});
  EXPECT_EQ(tok.word_count("école"), 2);
  fm::Tokenizer plain;
  // Final sigma, as Python's str.lower(): word-final Σ → ς, otherwise σ.
  EXPECT_EQ(plain.split_text("ΟΔΟΣ ΟΔΟΣ's"), (Words{"οδος", "οδοσ's"}));
  // Python's full mapping: İ → i + U+0307 (utf8proc_tolower alone would give "i").
  EXPECT_EQ(plain.split_text("İstanbul"), (Words{"i\xCC\x87stanbul"}));
  EXPECT_EQ(plain.split_text("STRAẞE Ǆ \xE2\x84\xAA"), (Words{"straße", "ǆ", "k"}));
  fm::TokenizerOptions keep_case;
  keep_case.lower = false;
  EXPECT_EQ(fm::Tokenizer(keep_case).split_text("ÉCOLE École"), (Words{"ÉCOLE", "École"}));
}

TEST(Tokenizer, FiltersApplyAfterLowercasing) {
  fm::TokenizerOptions options;
  options.filters = "Ae";
  // "A" never matches (the text is lowercased first); "e" does, also the one lowered from "E".
  EXPECT_EQ(fm::Tokenizer(options).split_text("AbE tea"), (Words{"ab", "t", "a"}));
}

TEST(Tokenizer, CustomSplitAndFilters) {
  fm::TokenizerOptions pipe;
  pipe.split = "|";
  pipe.filters = "";
  EXPECT_EQ(fm::Tokenizer(pipe).split_text("a|b||c d!"), (Words{"a", "b", "c d!"}));

  fm::TokenizerOptions multi;
  multi.split = "ab";
  multi.filters = "!";
  // "x!b" → "xabb" → split on "ab" → ["x", "b"]
  EXPECT_EQ(fm::Tokenizer(multi).split_text("x!b"), (Words{"x", "b"}));
  EXPECT_EQ(fm::Tokenizer(multi).split_text("abab"), (Words{}));

  fm::TokenizerOptions guillemets;
  guillemets.filters = "«»";
  EXPECT_EQ(fm::Tokenizer(guillemets).split_text("«hi»there"), (Words{"hi", "there"}));

  fm::TokenizerOptions ideographic;
  ideographic.split = "、";
  EXPECT_EQ(fm::Tokenizer(ideographic).split_text("a、b c"), (Words{"a", "b c"}));
}

TEST(Tokenizer, DefaultFiltersTabsNewlinesAndEmptyText) {
  fm::Tokenizer tok;
  EXPECT_EQ(tok.split_text("  Hello,\tworld!\nit's  ok\r\n"),
            (Words{"hello", "world", "it's", "ok\r"}));
  EXPECT_TRUE(tok.split_text("").empty());
  EXPECT_TRUE(tok.split_text(" !?\t").empty());
  EXPECT_TRUE(tok.text_to_sequence("anything").empty());  // not fitted
  EXPECT_EQ(tok.vocab_size(), 1);
}

TEST(Tokenizer, InvalidUtf8IsReadAsReplacementCharacter) {
  fm::Tokenizer tok;
  EXPECT_EQ(tok.split_text("a\xFF" "b \xE2\x82"), (Words{"a\xEF\xBF\xBD" "b", "\xEF\xBF\xBD"}));
}

TEST(Tokenizer, TextsToSequencesMatchesSingleCalls) {
  const auto tok = fitted({}, {"one two two three three three"});
  const auto all = tok.texts_to_sequences({"three two", "", "one four"});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0], (Seq{1, 2}));
  EXPECT_TRUE(all[1].empty());
  EXPECT_EQ(all[2], (Seq{3}));
  Seq appended = {9};
  tok.append_sequence("one", appended);
  EXPECT_EQ(appended, (Seq{9, 3}));
}

TEST(Tokenizer, ToJsonHasKerasLayout) {
  fm::TokenizerOptions options;
  options.num_words = 3;
  options.oov_token = "<OOV>";
  const auto tok = fitted(options, {"The cat sat on the mat.", "The dog ate my homework."});
  const auto root = nlohmann::ordered_json::parse(tok.to_json());
  EXPECT_EQ(root.at("class_name"), "Tokenizer");
  const auto& config = root.at("config");
  std::vector<std::string> keys;
  for (const auto& item : config.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (Words{"num_words", "filters", "lower", "split", "char_level", "oov_token",
                         "document_count", "word_counts", "word_docs", "index_docs", "index_word",
                         "word_index"}));
  EXPECT_EQ(config.at("num_words"), 3);
  EXPECT_EQ(config.at("oov_token"), "<OOV>");
  EXPECT_EQ(config.at("document_count"), 2);
  ASSERT_TRUE(config.at("word_index").is_string());
  const auto word_index = nlohmann::json::parse(config.at("word_index").get<std::string>());
  EXPECT_EQ(word_index, nlohmann::json::parse(
                            R"({"<OOV>": 1, "the": 2, "cat": 3, "sat": 4, "on": 5, "mat": 6,
                                "dog": 7, "ate": 8, "my": 9, "homework": 10})"));
  const auto word_counts =
      nlohmann::ordered_json::parse(config.at("word_counts").get<std::string>());
  EXPECT_EQ(word_counts.begin().key(), "the");
  EXPECT_EQ(word_counts.at("the"), 3);
  const auto index_docs = nlohmann::json::parse(config.at("index_docs").get<std::string>());
  EXPECT_EQ(index_docs.at("2"), 2);
  EXPECT_EQ(index_docs.size(), 9u);
  const auto index_word = nlohmann::json::parse(config.at("index_word").get<std::string>());
  EXPECT_EQ(index_word.at("1"), "<OOV>");
  EXPECT_EQ(index_word.at("10"), "homework");
}

TEST(Tokenizer, JsonRoundTripAndRefit) {
  fm::TokenizerOptions options;
  options.oov_token = "<OOV>";
  options.filters = "!?";
  options.split = "|";
  auto tok = fitted(options, {"b|a|Ωμέγα", "a|c!c|c"});
  const auto loaded = fm::Tokenizer::from_json(tok.to_json());
  EXPECT_EQ(loaded.word_index(), tok.word_index());
  EXPECT_EQ(loaded.document_count(), 2);
  EXPECT_EQ(loaded.options().split, "|");
  EXPECT_EQ(loaded.options().filters, "!?");
  EXPECT_EQ(loaded.text_to_sequence("c|ωμέγα|zz"), tok.text_to_sequence("c|ωμέγα|zz"));
  EXPECT_EQ(loaded.to_json(), tok.to_json());
  // Further fitting after a round trip continues from the stored counts and first-seen order.
  auto reloaded = fm::Tokenizer::from_json(tok.to_json());
  reloaded.fit_on_texts({"ωμέγα|b"});
  tok.fit_on_texts({"ωμέγα|b"});
  EXPECT_EQ(reloaded.word_index(), tok.word_index());
}

TEST(Tokenizer, ReadsJsonWrittenByKeras) {
  // Written by keras_preprocessing 1.1: Tokenizer(num_words=5, oov_token="<OOV>") fitted on
  // ["Café au lait, café noir.", "ΟΔΟΣ and café", "noir"] then to_json().
  std::ifstream in(std::string(FM_TEST_DATA_DIR) + "/text/keras_tokenizer.json");
  ASSERT_TRUE(in) << "missing fixture text/keras_tokenizer.json";
  std::stringstream buffer;
  buffer << in.rdbuf();
  const auto tok = fm::Tokenizer::from_json(buffer.str());
  EXPECT_EQ(tok.options().num_words, 5);
  EXPECT_EQ(tok.options().oov_token, "<OOV>");
  EXPECT_EQ(tok.document_count(), 3);
  EXPECT_EQ(tok.word_index().at("café"), 2);
  EXPECT_EQ(tok.word_index().at("οδος"), 6);
  EXPECT_EQ(tok.word_count("café"), 3);
  EXPECT_EQ(tok.word_doc_count("café"), 2);
  EXPECT_EQ(tok.text_to_sequence("CAFÉ noir au lait thé"), (Seq{2, 3, 4, 1, 1}));
  EXPECT_EQ(tok.vocab_size(), 5);
}

TEST(Tokenizer, FromJsonErrorsAreDataErrors) {
  const std::string good = fitted({}, {"a b"}).to_json();
  auto with = [&](const std::string& key, const nlohmann::json& value) {
    auto root = nlohmann::json::parse(good);
    root["config"][key] = value;
    return root.dump();
  };
  EXPECT_THROW(fm::Tokenizer::from_json("{"), fm::DataError);
  EXPECT_THROW(fm::Tokenizer::from_json("[]"), fm::DataError);
  EXPECT_THROW(fm::Tokenizer::from_json(R"({"class_name": "Tokenizer"})"), fm::DataError);
  EXPECT_THROW(fm::Tokenizer::from_json(R"({"class_name": "Other", "config": {}})"),
               fm::DataError);
  EXPECT_THROW(fm::Tokenizer::from_json(with("word_index", nlohmann::json{{"a", 1}})),
               fm::DataError);
  EXPECT_THROW(fm::Tokenizer::from_json(with("word_index", "{")), fm::DataError);
  EXPECT_THROW(fm::Tokenizer::from_json(with("word_index", R"({"a": 1, "b": 7})")),
               fm::DataError);
  EXPECT_THROW(fm::Tokenizer::from_json(with("word_index", R"({"a": 1, "b": 1})")),
               fm::DataError);
  EXPECT_THROW(fm::Tokenizer::from_json(with("word_counts", R"({"a": "x"})")), fm::DataError);
  EXPECT_THROW(fm::Tokenizer::from_json(with("num_words", -1)), fm::DataError);
  EXPECT_THROW(fm::Tokenizer::from_json(with("split", "")), fm::DataError);
  EXPECT_THROW(fm::Tokenizer::from_json(with("lower", "yes")), fm::DataError);
  EXPECT_THROW(fm::Tokenizer::from_json(with("colour", "red")), fm::DataError);
  EXPECT_THROW(fm::Tokenizer::from_json(with("oov_token", "<OOV>")), fm::DataError);
  try {
    fm::Tokenizer::from_json(with("word_index", R"({"a": 1, "b": 7})"));
    FAIL() << "expected fm::DataError";
  } catch (const fm::DataError& e) {
    EXPECT_NE(std::string(e.what()).find("config.word_index.b"), std::string::npos) << e.what();
  }
}

TEST(Tokenizer, InvalidOptionsAreConfigErrors) {
  fm::TokenizerOptions negative;
  negative.num_words = -1;
  EXPECT_THROW(fm::Tokenizer{negative}, fm::ConfigError);
  fm::TokenizerOptions empty_split;
  empty_split.split = "";
  EXPECT_THROW(fm::Tokenizer{empty_split}, fm::ConfigError);
  empty_split.char_level = true;
  EXPECT_NO_THROW(fm::Tokenizer{empty_split});
  fm::TokenizerOptions bad_filters;
  bad_filters.filters = "\xC3";
  EXPECT_THROW(fm::Tokenizer{bad_filters}, fm::ConfigError);
}

// --- fit_transform, threads, flat sequences -------------------------------------------------
// These paths must give exactly what the Keras-shaped calls give (fit_on_texts, then
// texts_to_sequences), which the tests above and tests/python/test_keras_text.py check against
// Keras itself.

std::vector<std::string> mixed_corpus() {
  std::vector<std::string> texts = {
      "The cat sat on the mat.", "", "!!!", "The dog ate my homework.",
      "Ünïcödé TEXT, with İstanbul and ΣΊΣΥΦΟΣ", "bad \xFF byte \xC3 here",
      // words longer than 16 bytes, and ones that share their first 16 bytes
      "abcdefghijklmnopq abcdefghijklmnopr abcdefghijklmnop abcdefghijklmnopq",
      "supercalifragilisticexpialidocious SUPERCALIFRAGILISTICEXPIALIDOCIOUS x",
      "a a a b b c <OOV> oov"};
  // Enough texts that several chunks get real work, with words that recur across chunks and
  // words first seen in late chunks (the tie order across chunks matters).
  for (int i = 0; i < 300; ++i) {
    std::string t = "row" + std::to_string(i % 37) + " shared words here, ";
    t += "late" + std::to_string(i / 50) + " " + std::string(static_cast<size_t>(i % 7), 'z');
    if (i % 11 == 0) t += " CAPITAL Mixed";
    texts.push_back(t);
  }
  return texts;
}

std::vector<fm::TokenizerOptions> option_sets() {
  std::vector<fm::TokenizerOptions> sets(7);
  sets[1].oov_token = "<OOV>";
  sets[2].num_words = 10;
  sets[3].num_words = 10;
  sets[3].oov_token = "oov";  // also a fitted word: the later index wins
  sets[4].char_level = true;
  sets[5].split = "ab";  // multi-code-point separator
  sets[6].lower = false;
  sets[6].filters = "";
  return sets;
}

std::vector<Seq> unflatten(const fm::FlatSequences& flat) {
  std::vector<Seq> out;
  for (int64_t i = 0; i < flat.size(); ++i) out.emplace_back(flat.data(i), flat.data(i) + flat.length(i));
  return out;
}

TEST(Tokenizer, FitTransformEqualsFitThenTextsToSequences) {
  const auto texts = mixed_corpus();
  for (const auto& options : option_sets()) {
    const fm::Tokenizer reference = fitted(options, texts);
    const auto expected = reference.texts_to_sequences(texts);
    for (int threads : {1, 2, 3, 8}) {
      SCOPED_TRACE("threads " + std::to_string(threads) + ", split \"" + options.split + "\"");
      fm::Tokenizer tok(options);
      const fm::FlatSequences flat = tok.fit_transform(texts, threads);
      ASSERT_EQ(flat.size(), static_cast<int64_t>(texts.size()));
      EXPECT_EQ(unflatten(flat), expected);
      EXPECT_EQ(tok.word_index(), reference.word_index());
      EXPECT_EQ(tok.to_json(), reference.to_json());  // counts, docs and first-seen order too
      EXPECT_EQ(tok.vocab_size(), reference.vocab_size());
      EXPECT_EQ(unflatten(reference.texts_to_flat_sequences(texts, threads)), expected);
    }
  }
}

TEST(Tokenizer, PairedFitKeepsFirstSeenOrderWhereverTheThreadsMeet) {
  // With two or more threads a region of texts is fitted from both ends and the two chunks meet
  // where they meet, which differs from run to run: whatever the meeting point, the back chunk's
  // words must merge in the texts' first-seen order (every word here has a tie partner, so the
  // word index depends on that order), and each text's sequence must land in its own row.
  std::vector<std::string> texts;
  for (int i = 0; i < 2000; ++i) {
    std::string t = "w" + std::to_string(i) + " u" + std::to_string(i) + " shared";
    if (i % 97 == 0) {
      for (int j = 0; j < 400; ++j) t += " long" + std::to_string(j % 50);  // uneven text sizes
    }
    if (i % 3 == 0) t += " v" + std::to_string(i / 3);  // first seen in several places
    texts.push_back(t);
  }
  fm::TokenizerOptions options;
  options.num_words = 1500;  // some words are dropped
  const fm::Tokenizer reference = fitted(options, texts);
  const auto expected = reference.texts_to_sequences(texts);
  for (int threads : {2, 3, 4}) {
    for (int run = 0; run < 10; ++run) {
      SCOPED_TRACE("threads " + std::to_string(threads) + ", run " + std::to_string(run));
      fm::Tokenizer tok(options);
      const fm::FlatSequences flat = tok.fit_transform(texts, threads);
      ASSERT_EQ(tok.to_json(), reference.to_json());
      ASSERT_EQ(unflatten(flat), expected);
      fm::Tokenizer counted(options);
      counted.fit_on_texts(texts, threads);
      ASSERT_EQ(counted.to_json(), reference.to_json());
    }
  }
}

TEST(Tokenizer, ThreadedFitContinuesAnEarlierFit) {
  // A second fit merges into the counts of the first (Keras' repeated fit_on_texts).
  const auto texts = mixed_corpus();
  const std::vector<std::string> first(texts.begin(), texts.begin() + 120);
  const std::vector<std::string> second(texts.begin() + 120, texts.end());
  fm::TokenizerOptions options;
  options.oov_token = "<OOV>";
  fm::Tokenizer reference(options);
  reference.fit_on_texts(first);
  reference.fit_on_texts(second);
  for (int threads : {1, 4}) {
    fm::Tokenizer tok(options);
    tok.fit_on_texts(first, threads);
    const auto flat = tok.fit_transform(second, threads);
    EXPECT_EQ(tok.to_json(), reference.to_json());
    EXPECT_EQ(unflatten(flat), reference.texts_to_sequences(second));
    EXPECT_EQ(tok.document_count(), static_cast<int64_t>(texts.size()));
  }
}

TEST(Tokenizer, WordCountsAfterAThreadedFitAndCopiesRefitIndependently) {
  // A fresh threaded fit builds the word -> position table only when asked for; a copy shares
  // it until one of them refits.
  const auto texts = mixed_corpus();
  const std::vector<std::string> more = {"brand new words", "The cat again", "late0 zz"};
  const fm::Tokenizer reference = fitted({}, texts);
  fm::Tokenizer tok;
  tok.fit_transform(texts, 3);
  fm::Tokenizer copy = tok;
  for (const std::string& word : {"the", "row3", "late5", "zzzzzz", "abcdefghijklmnopq", "nope"}) {
    SCOPED_TRACE(word);
    EXPECT_EQ(tok.word_count(word), reference.word_count(word));
    EXPECT_EQ(tok.word_doc_count(word), reference.word_doc_count(word));
  }
  copy.fit_on_texts(more, 2);
  EXPECT_EQ(copy.word_count("brand"), 1);
  EXPECT_EQ(copy.word_count("the"), reference.word_count("the") + 1);
  EXPECT_EQ(tok.word_count("brand"), 0);
  EXPECT_EQ(tok.word_count("the"), reference.word_count("the"));
  fm::Tokenizer sequential = fitted({}, texts);
  sequential.fit_on_texts(more);
  EXPECT_EQ(copy.to_json(), sequential.to_json());
}

TEST(Tokenizer, VectorisedScannerAgreesWithSplitText) {
  // split_text uses the portable scanner; fits and sequences use the vectorised one where the CPU
  // has AVX2. Long texts mixing 64-byte steps of ASCII with code points that lowercase to more
  // bytes (İ), ill-formed bytes (each becomes the 3-byte U+FFFD) and one-letter words (more words
  // than a first guess of the buffers holds), with several option sets.
  const std::vector<std::string> pieces = {
      "a ", "Word ", "\xFF", "\xFF\xFE ", "İ", "ΣΑΣ ", "x.", "LONGERWORDTHANSIXTEENBYTES ", "é",
      "\xE2\x82", "--", "\t", "\r\n", "0123456789", "😀 ", ".", "Z", "\xC3"};
  std::vector<std::string> texts;
  uint32_t state = 12345;
  for (int t = 0; t < 40; ++t) {
    std::string text;
    const int parts = 1 + t * 97 % 3000;
    for (int i = 0; i < parts; ++i) {
      state = state * 1664525u + 1013904223u;
      text += pieces[(state >> 8) % pieces.size()];
    }
    texts.push_back(text);
  }
  std::vector<fm::TokenizerOptions> sets(4);
  sets[1].lower = false;
  sets[2].filters = "aeZ\t";
  sets[3].split = "é";
  sets[3].oov_token = "<OOV>";
  for (const auto& options : sets) {
    fm::Tokenizer tok(options);
    tok.fit_on_texts(texts, 2);
    const auto& index = tok.word_index();
    for (const std::string& text : texts) {
      Seq expected;
      for (const std::string& word : tok.split_text(text)) expected.push_back(index.at(word));
      ASSERT_EQ(tok.text_to_sequence(text), expected) << "split \"" << options.split << "\"";
    }
  }
}

TEST(Tokenizer, LongWordsSharingAPrefixStayDistinct) {
  fm::Tokenizer tok;
  const auto flat = tok.fit_transform(
      {"abcdefghijklmnopq abcdefghijklmnopr abcdefghijklmnop abcdefghijklmnopq"}, 1);
  // Counts: ...q twice (index 1), then ...r and the 16-byte word in first-seen order.
  EXPECT_EQ(unflatten(flat), (std::vector<Seq>{{1, 2, 3, 1}}));
  EXPECT_EQ(tok.word_count("abcdefghijklmnopq"), 2);
  EXPECT_EQ(tok.word_count("abcdefghijklmnopr"), 1);
  EXPECT_EQ(tok.word_count("abcdefghijklmnop"), 1);
  EXPECT_EQ(tok.word_count("abcdefghijklmnopqq"), 0);
}

TEST(Tokenizer, WordIndexMapIsBuiltOnDemandAndFollowsRefits) {
  fm::Tokenizer tok;
  tok.fit_on_texts({"b a b"});
  const fm::Tokenizer copy = tok;
  EXPECT_EQ(tok.word_index(), (std::unordered_map<std::string, int64_t>{{"b", 1}, {"a", 2}}));
  tok.fit_on_texts({"a a a"});
  EXPECT_EQ(tok.word_index(), (std::unordered_map<std::string, int64_t>{{"a", 1}, {"b", 2}}));
  EXPECT_EQ(copy.word_index(), (std::unordered_map<std::string, int64_t>{{"b", 1}, {"a", 2}}));
}

TEST(Padding, FlatSequencesPadLikeNestedOnes) {
  const std::vector<Seq> nested = {{1, 2, 3}, {}, {4}, {5, 6, 7, 8, 9}};
  fm::FlatSequences flat;
  for (const auto& s : nested) {
    flat.values.insert(flat.values.end(), s.begin(), s.end());
    flat.offsets.push_back(static_cast<int64_t>(flat.values.size()));
  }
  for (auto side : {fm::PadSide::kPre, fm::PadSide::kPost}) {
    for (std::optional<int64_t> maxlen : {std::optional<int64_t>(), std::optional<int64_t>(2)}) {
      fm::PaddingOptions options;
      options.maxlen = maxlen;
      options.padding = side;
      options.truncating = side;
      options.value = -1;
      const auto a = fm::pad_sequences(nested, options);
      const auto b = fm::pad_flat_sequences(flat, options);
      EXPECT_EQ(a.values, b.values);
      EXPECT_EQ(a.lengths, b.lengths);
      EXPECT_EQ(a.cols, b.cols);
    }
  }
}

TEST(Padding, ThreadedFlatPaddingMatchesNested) {
  // Enough rows (several MB of output) that the rows are split between threads.
  std::vector<Seq> nested;
  fm::FlatSequences flat;
  for (int64_t r = 0; r < 5000; ++r) {
    Seq s(static_cast<size_t>((r * 37) % 300));
    for (size_t i = 0; i < s.size(); ++i) s[i] = r * 1000 + static_cast<int64_t>(i) + 1;
    flat.values.insert(flat.values.end(), s.begin(), s.end());
    flat.offsets.push_back(static_cast<int64_t>(flat.values.size()));
    nested.push_back(std::move(s));
  }
  for (auto side : {fm::PadSide::kPre, fm::PadSide::kPost}) {
    fm::PaddingOptions options;
    options.maxlen = 256;
    options.padding = side;
    options.truncating = side == fm::PadSide::kPre ? fm::PadSide::kPost : fm::PadSide::kPre;
    const auto a = fm::pad_sequences(nested, options);
    for (int threads : {2, 3, 8}) {
      const auto b = fm::pad_flat_sequences(flat, options, threads);
      EXPECT_EQ(a.values, b.values) << threads;
      EXPECT_EQ(a.lengths, b.lengths) << threads;
    }
  }
}

}  // namespace
