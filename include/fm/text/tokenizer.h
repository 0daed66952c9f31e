#pragma once
/// \file
/// Word/character tokenizer with the exact semantics of Keras' `keras_preprocessing.text.Tokenizer`
/// (keras_preprocessing 1.1).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fm/text/sequences.h"

namespace fm {

/// Options of the tokenizer; names and defaults are Keras' `Tokenizer(...)` arguments.
struct TokenizerOptions {
  /// Keep only word indices < num_words (the OOV token, when set, uses one of them). nullopt = all;
  /// 0 also means all (Keras tests `if num_words`). Must be >= 0.
  std::optional<int64_t> num_words;
  /// Characters (code points) replaced by `split` before splitting (Keras' default filter set).
  /// Not used when char_level is true.
  std::string filters = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n";
  /// Lowercase with Python's `str.lower()` semantics (see fm::utf8_lower) before filtering.
  bool lower = true;
  /// Separator for word splitting (Python `str.split(split)`; empty tokens are dropped). Must not
  /// be empty unless char_level is true.
  std::string split = " ";
  /// Treat every code point of the (lowercased) text as a token: no filters, no splitting, so
  /// spaces and punctuation become tokens too (as in Keras).
  bool char_level = false;
  /// Token for out-of-vocabulary words, given index 1. nullopt = unknown words are dropped.
  std::optional<std::string> oov_token;
};

/// Keras-compatible tokenizer: fit on texts, map texts to index sequences, (de)serialise in the
/// layout of Keras' `Tokenizer.to_json()` so `tokenizer_from_json` can read it back.
///
/// Texts are UTF-8; an ill-formed byte sequence is read as U+FFFD (Python's
/// `decode("utf-8", errors="replace")`), so every token is valid UTF-8. Const methods are
/// thread-safe: several threads may call split_text/text_to_sequence on one fitted tokenizer.
///
/// One deliberate difference: before any fit, Keras has no index for the OOV token and emits None
/// for unknown words; fmkit drops them (the sequence stays integer-only).
class Tokenizer {
 public:
  /// Throws fm::ConfigError when num_words < 0, split is empty (without char_level), or filters,
  /// split or oov_token is not valid UTF-8.
  explicit Tokenizer(TokenizerOptions options = {});
  /// Copies are independent: refitting one leaves the other as it was.
  Tokenizer(const Tokenizer& other);
  Tokenizer& operator=(const Tokenizer& other);
  /// A moved-from tokenizer may only be assigned to or destroyed.
  Tokenizer(Tokenizer&& other) noexcept;
  Tokenizer& operator=(Tokenizer&& other) noexcept;
  ~Tokenizer();

  /// Updates word counts from `texts` and rebuilds the index (Keras `fit_on_texts`). Words are
  /// ordered by descending count, ties in first-seen order; the OOV token, when set, gets index 1.
  ///
  /// `threads` > 1 splits the texts into contiguous chunks counted in parallel and merged in
  /// order, so the result (counts, first-seen order, index) is the same for every thread count.
  void fit_on_texts(const std::vector<std::string>& texts, int threads = 1);
  /// fit_on_texts(texts) followed by texts_to_sequences(texts), tokenizing each text once: the
  /// fit records every token's word, and the sequences are that record mapped through the new
  /// index. Same output as the two calls; about half the work. `threads` as in fit_on_texts.
  FlatSequences fit_transform(const std::vector<std::string>& texts, int threads = 1);
  /// Keras `text_to_word_sequence` (or the code points when char_level) with this tokenizer's
  /// options.
  std::vector<std::string> split_text(std::string_view text) const;
  /// Index sequence of one text (Keras `texts_to_sequences` for a single text): unknown words map
  /// to the OOV index or are dropped; words with index >= num_words likewise.
  std::vector<int64_t> text_to_sequence(std::string_view text) const;
  /// Appends the index sequence of `text` to `out` (no allocation beyond `out`'s growth).
  void append_sequence(std::string_view text, std::vector<int64_t>& out) const;
  /// Index sequences of many texts.
  std::vector<std::vector<int64_t>> texts_to_sequences(const std::vector<std::string>& texts) const;
  /// Index sequences of many texts in one flat buffer; `threads` > 1 converts contiguous chunks
  /// of texts in parallel (same output for every thread count).
  FlatSequences texts_to_flat_sequences(const std::vector<std::string>& texts,
                                        int threads = 1) const;

  /// Number of embedding rows a model needs: the largest index text_to_sequence can produce, + 1.
  /// That is len(word_index) + 1, capped at num_words when num_words is set (> 0). (It is one
  /// more only when the OOV token itself occurs in the fitted texts: Keras then gives the token a
  /// second, later index and leaves index 1 unused.) 1 before fitting.
  int64_t vocab_size() const;
  /// Index of the OOV token, 0 when there is none (no oov_token, or not fitted yet).
  int64_t oov_index() const;
  /// Word → index (1-based; 0 is reserved for padding), over the full fitted vocabulary. Built on
  /// the first call after a fit (a fit itself does not need the map); thread-safe.
  const std::unordered_map<std::string, int64_t>& word_index() const;
  /// Index → word, for attributions and debugging; [0] and unused indices are "".
  const std::vector<std::string>& index_word() const;
  /// Number of times `word` was seen by fit_on_texts (0 when never).
  int64_t word_count(std::string_view word) const;
  /// Number of fitted texts that contain `word` (0 when none).
  int64_t word_doc_count(std::string_view word) const;
  /// Number of texts seen by fit_on_texts.
  int64_t document_count() const;
  /// The options this tokenizer was built with.
  const TokenizerOptions& options() const;

  /// JSON string in Keras' `Tokenizer.to_json()` layout: {"class_name": "Tokenizer", "config":
  /// {num_words, filters, lower, split, char_level, oov_token, document_count, word_counts,
  /// word_docs, index_docs, index_word, word_index}} where the last five are JSON strings holding
  /// JSON objects (as Keras writes them). ASCII-only output, like Python's json.dumps.
  std::string to_json() const;
  /// Parses Keras' `to_json()` layout (as written by to_json or by Keras). The word index is taken
  /// as stored (Keras does the same); word_counts (in stored order) and word_docs feed later fits.
  /// Throws fm::DataError naming the JSON path on any malformed or inconsistent content.
  static Tokenizer from_json(std::string_view json);

 private:
  /// The fitted state, the word scanner and the hash tables (src/text/tokenizer_impl.h).
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fm
