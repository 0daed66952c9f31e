// libFuzzer target: fm::Tokenizer::from_json (a run's tokenizer.json, or one written by Keras'
// Tokenizer.to_json()) on arbitrary bytes. It documents fm::DataError for any malformed or
// inconsistent content; nothing else may escape. A tokenizer it accepts must work:
//   - to_json() is a fixed point: from_json(to_json()) writes the same JSON again;
//   - every index text_to_sequence produces, for its own words and a few unknown ones, is in
//     [1, vocab_size()); word_index() and index_word() agree;
//   - fitting more texts on the loaded state (its counts feed later fits) gives a tokenizer that
//     still round-trips and indexes below vocab_size().

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fm/error.h"
#include "fm/text/tokenizer.h"
#include "fuzz_common.h"

namespace {

void check_indices(const fm::Tokenizer& t, const std::vector<std::string>& texts,
                   const std::string& what) {
  const int64_t vocab = t.vocab_size();
  for (const auto& text : texts) {
    for (int64_t v : t.text_to_sequence(text)) {
      FUZZ_CHECK(v >= 1 && v < vocab, what + ": index " + std::to_string(v) + " outside [1, " +
                                          std::to_string(vocab) + ")");
    }
  }
  for (const auto& [word, index] : t.word_index()) {
    FUZZ_CHECK(index >= 1 && static_cast<std::size_t>(index) < t.index_word().size() &&
                   t.index_word()[static_cast<std::size_t>(index)] == word,
               what + ": index_word disagrees with word_index");
  }
}

void check_round_trip(const fm::Tokenizer& t, const std::string& what) {
  const std::string json = t.to_json();
  fm::Tokenizer again = [&] {
    try {
      return fm::Tokenizer::from_json(json);
    } catch (const fm::Error& e) {
      fm_fuzz::fail_check("from_json(to_json())", what + ": refuses its own JSON: " + e.what(),
                          __FILE__, __LINE__);
    }
  }();
  FUZZ_CHECK(again.to_json() == json, what + ": from_json(to_json()) changes to_json");
  FUZZ_CHECK(again.vocab_size() == t.vocab_size() && again.oov_index() == t.oov_index(),
             what + ": from_json(to_json()) changes vocab_size or oov_index");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fm_fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  std::optional<fm::Tokenizer> loaded;
  try {
    loaded.emplace(fm::Tokenizer::from_json(json));
  } catch (const fm::Error&) {
    return 0;
  }
  fm::Tokenizer& t = *loaded;
  // Texts made of the tokenizer's own words (known ones), and words it cannot know.
  std::vector<std::string> texts = {"", "zzqx unknownword", "a b c"};
  std::string all;
  for (const auto& word : t.index_word()) all += word + " ";
  texts.push_back(all);
  check_indices(t, texts, "loaded");
  check_round_trip(t, "loaded");

  fm::Tokenizer refit = t;
  refit.fit_on_texts(texts, 2);
  check_indices(refit, texts, "refitted");
  check_round_trip(refit, "refitted");
  return 0;
}
