#pragma once
/// \file
/// Word/character tokenizer with the exact semantics of Keras' `keras_preprocessing.text.Tokenizer`
/// (keras_preprocessing 1.1).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

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

  /// Updates word counts from `texts` and rebuilds the index (Keras `fit_on_texts`). Words are
  /// ordered by descending count, ties in first-seen order; the OOV token, when set, gets index 1.
  void fit_on_texts(const std::vector<std::string>& texts);
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

  /// Number of embedding rows a model needs: the largest index text_to_sequence can produce, + 1.
  /// That is len(word_index) + 1, capped at num_words when num_words is set (> 0). (It is one
  /// more only when the OOV token itself occurs in the fitted texts: Keras then gives the token a
  /// second, later index and leaves index 1 unused.) 1 before fitting.
  int64_t vocab_size() const;
  /// Index of the OOV token, 0 when there is none (no oov_token, or not fitted yet).
  int64_t oov_index() const { return oov_index_; }
  /// Word → index (1-based; 0 is reserved for padding), over the full fitted vocabulary.
  const std::unordered_map<std::string, int64_t>& word_index() const { return word_index_; }
  /// Index → word, for attributions and debugging; [0] and unused indices are "".
  const std::vector<std::string>& index_word() const { return index_word_; }
  /// Number of times `word` was seen by fit_on_texts (0 when never).
  int64_t word_count(std::string_view word) const;
  /// Number of fitted texts that contain `word` (0 when none).
  int64_t word_doc_count(std::string_view word) const;
  /// Number of texts seen by fit_on_texts.
  int64_t document_count() const { return document_count_; }
  /// The options this tokenizer was built with.
  const TokenizerOptions& options() const { return options_; }

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
  /// Open-addressing hash set of words stored elsewhere (linear probing, load <= 1/2): each slot
  /// holds the upper 32 bits of the word's hash and a 1-based id (0 = empty); the caller says which
  /// word an id stands for. Lookups by string_view allocate nothing.
  class WordTable {
   public:
    /// Empties the table and sizes it for `expected` ids.
    void reset(size_t expected);
    /// The id of the word with hash `h` for which `same(id)` is true, or 0.
    template <typename Same>
    uint32_t find(uint64_t h, Same&& same) const;
    /// Adds `id` (>= 1, not present) under hash `h`; `hash_of(id)` rehashes stored ids on growth.
    template <typename HashOf>
    void insert(uint64_t h, uint32_t id, HashOf&& hash_of);
    bool empty() const { return size_ == 0; }

   private:
    struct Slot {
      uint32_t tag = 0;
      uint32_t id = 0;
    };
    void place(uint64_t h, uint32_t id);
    std::vector<Slot> slots_;
    uint64_t mask_ = 0;
    size_t size_ = 0;
  };
  // Per fitted word (parallel to words_): Keras' word_counts and word_docs, and the last document
  // that counted it (for word_docs, during a fit).
  struct WordStats {
    int64_t count = 0;
    int64_t docs = 0;
    int64_t last_doc = -1;
  };

  void build_tables();
  void rebuild_index();
  void rebuild_lookup();
  int64_t lookup(std::string_view word) const;
  size_t find_word(std::string_view word) const;  // position in words_, or words_.size()
  uint32_t add_word(std::string_view word, uint64_t h);
  bool is_separator(char32_t cp) const;
  template <typename Emit>
  void for_each_token(std::string_view text, Emit&& emit) const;
  template <typename Emit>
  void for_each_token_general(std::string_view text, Emit&& emit) const;
  template <typename Emit>
  void for_each_char(std::string_view text, Emit&& emit) const;

  TokenizerOptions options_;
  int64_t document_count_ = 0;
  // Keras' word_counts OrderedDict: words_ in first-seen order, stats_ parallel to it, word_pos_
  // (id = position + 1) finds a word's position.
  std::vector<std::string> words_;
  std::vector<WordStats> stats_;
  WordTable word_pos_;
  std::unordered_map<std::string, int64_t> word_index_;
  std::vector<std::string> index_word_;  // index_word_[i] is the word with index i; [0] is ""
  int64_t oov_index_ = 0;
  // word_index_ for the allocation-free hot path (id = index; compared against index_word_).
  WordTable index_table_;
  // ASCII byte → separator? (a filter or the one-byte split, after lowercasing) and kept byte.
  std::array<bool, 128> ascii_separator_{};
  // Byte → what the word splitter does with it (kKeepByte, kSeparatorByte, ...); lets the hot
  // loop skip over runs of plain bytes.
  static constexpr uint8_t kKeepByte = 0;
  static constexpr uint8_t kSeparatorByte = 1;
  static constexpr uint8_t kChangedByte = 2;
  static constexpr uint8_t kNonAsciiByte = 3;
  std::array<uint8_t, 256> byte_class_{};
  std::array<char, 128> ascii_output_{};
  std::vector<char32_t> non_ascii_filters_;  // sorted
  char32_t split_code_point_ = ' ';
  bool split_is_one_code_point_ = true;
  // No ASCII letter or digit is a separator: the word loop may copy runs of them 16 at a time.
  bool simd_alnum_ = false;
};

}  // namespace fm
