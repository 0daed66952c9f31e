#pragma once
/// \file
/// Word/character tokenizer with the exact semantics of Keras' `keras_preprocessing.text.Tokenizer`.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace fm {

/// Options of the tokenizer; names and defaults are Keras' `Tokenizer(...)` arguments.
struct TokenizerOptions {
  /// Keep only word indices < num_words (the OOV token, when set, uses one of them). nullopt = all.
  std::optional<int64_t> num_words;
  /// Characters removed from the text before splitting (Keras' default filter set).
  std::string filters = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n";
  /// Lowercase (Unicode-aware) before filtering.
  bool lower = true;
  /// Separator for word splitting (one string; empty tokens are dropped).
  std::string split = " ";
  /// Treat every character (Unicode code point) as a token.
  bool char_level = false;
  /// Token for out-of-vocabulary words, given index 1. nullopt = unknown words are dropped.
  std::optional<std::string> oov_token;
};

/// Keras-compatible tokenizer: fit on texts, map texts to index sequences, (de)serialise in the layout
/// of Keras' `Tokenizer.to_json()` so `tokenizer_from_json` can read it back.
class Tokenizer {
 public:
  explicit Tokenizer(TokenizerOptions options = {});

  /// Updates word counts from `texts` and rebuilds the index (Keras `fit_on_texts`).
  void fit_on_texts(const std::vector<std::string>& texts);
  /// Keras `text_to_word_sequence` (or code points when char_level) with this tokenizer's options.
  std::vector<std::string> split_text(std::string_view text) const;
  /// Index sequence of one text (Keras `texts_to_sequences` for a single text).
  std::vector<int64_t> text_to_sequence(std::string_view text) const;
  /// Index sequences of many texts.
  std::vector<std::vector<int64_t>> texts_to_sequences(const std::vector<std::string>& texts) const;

  /// Number of embedding rows a model needs: max index produced + 1 (respects num_words).
  int64_t vocab_size() const;
  /// Word → index (1-based; 0 is reserved for padding), over the full fitted vocabulary.
  const std::unordered_map<std::string, int64_t>& word_index() const { return word_index_; }
  /// Index → word, for attributions and debugging.
  const std::vector<std::string>& index_word() const { return index_word_; }
  /// Number of texts seen by fit_on_texts.
  int64_t document_count() const { return document_count_; }
  const TokenizerOptions& options() const { return options_; }

  /// JSON string in Keras' `Tokenizer.to_json()` layout.
  std::string to_json() const;
  /// Parses Keras' `to_json()` layout (as written by to_json or by Keras). Throws fm::DataError.
  static Tokenizer from_json(std::string_view json);

 private:
  void rebuild_index();

  TokenizerOptions options_;
  int64_t document_count_ = 0;
  // Insertion-ordered word counts (Keras uses an OrderedDict): words_ in first-seen order.
  std::vector<std::string> words_;
  std::unordered_map<std::string, int64_t> word_counts_;
  std::unordered_map<std::string, int64_t> word_docs_;
  std::unordered_map<std::string, int64_t> word_index_;
  std::vector<std::string> index_word_;  // index_word_[i] is the word with index i; [0] is ""
};

}  // namespace fm
