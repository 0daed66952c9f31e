// libFuzzer target: fitting the Keras tokenizer (fm::Tokenizer::fit_on_texts / fit_transform on 1-3
// threads) on arbitrary texts and options, then checking what must hold for any fit:
//   - fit_transform's sequences equal texts_to_sequences and texts_to_flat_sequences afterwards;
//   - fit_on_texts on one thread gives the same tokenizer (to_json) as fit_transform on N;
//   - every index is in [1, vocab_size());
//   - text_to_sequence equals split_text mapped through word_index() with Keras' num_words and
//     OOV rules; on ASCII input, split_text equals Keras' text_to_word_sequence written out here
//     (lower, filters → split, str.split, drop empty tokens; char_level: every character);
//   - the counts add up: document_count, the sum of word counts, word_doc_count <= both;
//   - from_json(to_json()) gives the same to_json and the same sequences, and a second fit on
//     the loaded copy gives the same tokenizer as a second fit on the original.
//
// Input layout: 2 option bytes, then pieces separated by 0x1F (ASCII unit separator).
//   byte 0  flags: bit 0 set = lower false, bit 1 = char_level, bit 2 = num_words set, bit 3 = an
//           oov_token, bit 4 = custom filters, bit 5 = custom split, bits 6-7 = threads - 1 (1-3)
//   byte 1  num_words (when bit 2)
//   pieces: the split string (bit 5), the filters (bit 4), the OOV token (bit 3), then the texts.

#include <algorithm>
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

std::vector<int64_t> flat_text(const fm::FlatSequences& s, int64_t i) {
  return std::vector<int64_t>(s.data(i), s.data(i) + s.length(i));
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

/// keras_preprocessing.text.text_to_word_sequence (and the char_level branch of fit_on_texts) for
/// ASCII text and options.
std::vector<std::string> keras_split(std::string text, const fm::TokenizerOptions& o) {
  if (o.lower) {
    for (char& c : text) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
  }
  std::vector<std::string> out;
  if (o.char_level) {
    for (char c : text) out.emplace_back(1, c);
    return out;
  }
  std::string replaced;
  for (char c : text) {
    if (o.filters.find(c) != std::string::npos) {
      replaced += o.split;
    } else {
      replaced += c;
    }
  }
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = replaced.find(o.split, start);
    const std::string token = replaced.substr(start, end == std::string::npos ? end : end - start);
    if (!token.empty()) out.push_back(token);
    if (end == std::string::npos) return out;
    start = end + o.split.size();
  }
}

/// Keras' texts_to_sequences for one text, from the split words and the public word index.
std::vector<int64_t> keras_sequence(const fm::Tokenizer& t, const std::vector<std::string>& words) {
  const auto& index = t.word_index();
  const int64_t num_words = t.options().num_words.value_or(0);
  // Keras: oov_token_index = self.word_index.get(self.oov_token)
  int64_t oov = 0;
  if (t.options().oov_token) {
    const auto it = index.find(*t.options().oov_token);
    if (it != index.end()) oov = it->second;
  }
  FUZZ_CHECK(t.oov_index() == oov, "oov_index() is " + std::to_string(t.oov_index()) +
                                       ", word_index[oov_token] is " + std::to_string(oov));
  std::vector<int64_t> out;
  for (const auto& w : words) {
    const auto it = index.find(w);
    if (it != index.end()) {
      if (num_words > 0 && it->second >= num_words) {
        if (oov != 0) out.push_back(oov);
      } else {
        out.push_back(it->second);
      }
    } else if (oov != 0) {
      out.push_back(oov);
    }
  }
  return out;
}

void check_sequences(const fm::Tokenizer& t, const std::vector<std::string>& texts,
                     const fm::FlatSequences& expected, const std::string& what) {
  FUZZ_CHECK(expected.size() == static_cast<int64_t>(texts.size()), what + ": one sequence per text");
  const auto nested = t.texts_to_sequences(texts);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    FUZZ_CHECK(nested[i] == flat_text(expected, static_cast<int64_t>(i)),
               what + ": texts_to_sequences differs for text " + std::to_string(i));
  }
}

void check_fitted(const fm::Tokenizer& t, const std::vector<std::string>& texts,
                  const fm::FlatSequences& seqs) {
  const int64_t vocab = t.vocab_size();
  for (int64_t v : seqs.values) {
    FUZZ_CHECK(v >= 1 && v < vocab, "index " + std::to_string(v) + " outside [1, " +
                                        std::to_string(vocab) + ")");
  }
  const bool ascii = is_ascii(t.options().filters) && is_ascii(t.options().split);
  int64_t tokens = 0;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const auto words = t.split_text(texts[i]);
    tokens += static_cast<int64_t>(words.size());
    if (ascii && is_ascii(texts[i])) {
      FUZZ_CHECK(words == keras_split(texts[i], t.options()),
                 "split_text differs from Keras' text_to_word_sequence for text " +
                     std::to_string(i));
    }
    FUZZ_CHECK(t.text_to_sequence(texts[i]) == keras_sequence(t, words),
               "text_to_sequence differs from split_text + word_index for text " +
                   std::to_string(i));
  }
  FUZZ_CHECK(t.document_count() == static_cast<int64_t>(texts.size()), "document_count");
  int64_t counted = 0;
  for (const auto& [word, index] : t.word_index()) {
    counted += t.word_count(word);
    FUZZ_CHECK(t.word_doc_count(word) <= t.word_count(word) &&
                   t.word_doc_count(word) <= t.document_count(),
               "word_doc_count above word_count or document_count");
    FUZZ_CHECK(index >= 1 && static_cast<std::size_t>(index) < t.index_word().size() &&
                   t.index_word()[static_cast<std::size_t>(index)] == word,
               "index_word disagrees with word_index");
  }
  FUZZ_CHECK(counted == tokens, "word counts add up to " + std::to_string(counted) + ", not " +
                                    std::to_string(tokens) + " tokens");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fm_fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  fm_fuzz::Input in(data, size);
  const uint8_t flags = in.byte();
  const uint8_t num_words = in.byte();
  std::vector<std::string> pieces = fm_fuzz::split(in.rest(), '\x1f');
  std::size_t next = 0;
  auto take = [&]() { return next < pieces.size() ? pieces[next++] : std::string(); };

  fm::TokenizerOptions options;
  options.lower = (flags & 1) == 0;
  options.char_level = (flags & 2) != 0;
  if (flags & 4) options.num_words = num_words;
  if (flags & 32) options.split = take();
  if (flags & 16) options.filters = take();
  if (flags & 8) options.oov_token = take();
  const int threads = std::min(3, 1 + (flags >> 6));
  const std::vector<std::string> texts(pieces.begin() + static_cast<std::ptrdiff_t>(next),
                                       pieces.end());

  std::optional<fm::Tokenizer> fitted;
  try {
    fitted.emplace(options);
  } catch (const fm::Error&) {
    return 0;  // options the constructor documents as invalid
  }
  fm::Tokenizer& t = *fitted;
  const fm::FlatSequences seqs = t.fit_transform(texts, threads);
  check_sequences(t, texts, seqs, "fit_transform");
  const fm::FlatSequences flat = t.texts_to_flat_sequences(texts, threads);
  FUZZ_CHECK(flat.values == seqs.values && flat.offsets == seqs.offsets,
             "texts_to_flat_sequences differs from fit_transform");
  check_fitted(t, texts, seqs);

  const std::string json = t.to_json();
  fm::Tokenizer single(options);
  single.fit_on_texts(texts, 1);
  FUZZ_CHECK(single.to_json() == json,
             "fit_on_texts on 1 thread and fit_transform on " + std::to_string(threads) +
                 " threads give different tokenizers");

  fm::Tokenizer loaded = fm::Tokenizer::from_json(json);  // must not throw: we wrote it
  FUZZ_CHECK(loaded.to_json() == json, "from_json(to_json()) changes to_json");
  FUZZ_CHECK(loaded.vocab_size() == t.vocab_size() && loaded.oov_index() == t.oov_index(),
             "from_json(to_json()) changes vocab_size or oov_index");
  check_sequences(loaded, texts, seqs, "from_json(to_json())");

  // A second fit continues from the counts (Keras' fit_on_texts is incremental), whether the
  // state was fitted here or loaded.
  const std::vector<std::string> more(texts.rbegin(), texts.rend());
  fm::Tokenizer again = t;
  again.fit_on_texts(more, threads);
  loaded.fit_on_texts(more, 1);
  FUZZ_CHECK(again.to_json() == loaded.to_json(),
             "a second fit differs between the fitted and the loaded tokenizer");
  return 0;
}
