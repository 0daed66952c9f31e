#pragma once
/// \file
/// Word/character tokenizer with the exact semantics of Keras' `keras_preprocessing.text.Tokenizer`
/// (keras_preprocessing 1.1).

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fm/text/sequences.h"

namespace fm {

namespace detail {
/// Memory for large hash tables: blocks of 2 MiB and more are 2 MiB aligned and asked to be backed
/// by transparent huge pages (madvise), so random probes do not miss the TLB on every access.
void* allocate_table(std::size_t bytes);
void free_table(void* p, std::size_t bytes) noexcept;
template <typename T>
struct TableAllocator {
  using value_type = T;
  TableAllocator() = default;
  template <typename U>
  TableAllocator(const TableAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(allocate_table(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { free_table(p, n * sizeof(T)); }
  template <typename U>
  bool operator==(const TableAllocator<U>&) const { return true; }
  template <typename U>
  bool operator!=(const TableAllocator<U>&) const { return false; }
};
}  // namespace detail

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
  int64_t oov_index() const { return oov_index_; }
  /// Word → index (1-based; 0 is reserved for padding), over the full fitted vocabulary. Built on
  /// the first call after a fit (a fit itself does not need the map); thread-safe.
  const std::unordered_map<std::string, int64_t>& word_index() const;
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
  /// Open-addressing hash table of words (linear probing, load <= 1/2). A slot holds the word's
  /// first 16 bytes inline (zero padded), its length and a 1-based id, so finding a word of up to
  /// 16 bytes — nearly every word — touches one 32-byte slot and nothing else (the words
  /// themselves live elsewhere; `tail(id)` gives the whole word of a longer one). Two spare 32-bit
  /// fields serve the fit's per-chunk counts. Lookups by string_view allocate nothing.
  class WordTable {
   public:
    struct alignas(32) Slot {
      uint64_t k0 = 0, k1 = 0;  // bytes 0-7 and 8-15 of the word, little-endian, zero padded
      uint32_t len = 0;
      uint32_t id = 0;          // 0 = empty
      uint32_t count = 0;       // per-chunk fit: occurrences
      uint32_t last_doc = 0;    // per-chunk fit: 1 + the last text that counted it
    };
    struct Key {
      uint64_t k0, k1, hash;
      uint32_t len;
      std::string_view word;
    };
    static Key key_of(std::string_view word);
    /// key_of for a word followed by at least 16 readable bytes (it loads whole 8-byte words).
    static Key key_of_padded(const char* data, size_t n);
    /// Empties the table and sizes it for `expected` ids.
    void reset(size_t expected);
    /// The slot of `key`, or nullptr; `tail(id)` is the whole word stored under `id`.
    template <typename Tail>
    const Slot* find(const Key& key, Tail&& tail) const;
    /// The slot of `key`, inserted with id `next_id` when absent (then `inserted` is true).
    /// Growing rehashes long words through `tail`. The pointer is valid until the next insert.
    template <typename Tail>
    Slot* find_or_insert(const Key& key, uint32_t next_id, Tail&& tail, bool& inserted);
    size_t size() const { return size_; }
    const std::vector<Slot, detail::TableAllocator<Slot>>& slots() const { return slots_; }
    /// The slots themselves, to rewrite ids in place (keys and positions must not change).
    std::vector<Slot, detail::TableAllocator<Slot>>& slots() { return slots_; }
    /// Starts loading the slot where a search for `key` begins.
    void prefetch(const Key& key) const {
      if (!slots_.empty()) __builtin_prefetch(slots_.data() + (key.hash & mask_));
    }

   private:
    template <typename Tail>
    void grow(Tail&& tail);
    std::vector<Slot, detail::TableAllocator<Slot>> slots_;
    uint64_t mask_ = 0;
    size_t size_ = 0;
  };
  /// Words back to back in one buffer: word i is bytes [ends[i], ends[i + 1]). A fit's chunks
  /// collect their words this way, so the first chunk's list becomes words_ without a copy.
  class WordList {
   public:
    size_t size() const { return ends_.size() - 1; }
    bool empty() const { return ends_.size() == 1; }
    std::string_view operator[](size_t i) const {
      return std::string_view(bytes_.data() + ends_[i], ends_[i + 1] - ends_[i]);
    }
    void push_back(std::string_view word) {
      bytes_.append(word.data(), word.size());
      ends_.push_back(bytes_.size());
    }

   private:
    std::string bytes_;
    std::vector<size_t> ends_{0};
  };
  // Per fitted word (parallel to words_): Keras' word_counts and word_docs.
  struct WordStats {
    int64_t count = 0;
    int64_t docs = 0;
  };
  struct ChunkFit;
  struct FitRegion;
  /// The words of one text with their keys: a text is tokenized whole before its words are looked
  /// up, so each lookup can prefetch the table slot of a word a few places ahead (most of a fit's
  /// time was the wait for slots of the less frequent words).
  struct TokenBatch;

  // Word -> position in words_ (id = position + 1). Built on demand from words_ (a fresh fit does
  // not need it: its chunks are merged through the first chunk's own table), shared between copies
  // of one fitted state like the word_index cache.
  struct WordPositions {
    std::once_flag once;
    WordTable table;
  };
  const WordTable& word_positions() const;
  /// For a fit: the positions table (built if needed) to extend; store it back with
  /// set_word_positions.
  WordTable take_word_positions();
  void set_word_positions(WordTable table);

  void build_tables();
  /// Counts the blocks of `region` that `chunk` claims into it (and its tokens' words when
  /// chunk.keep_ids).
  void fit_chunk(const std::vector<std::string>& texts, FitRegion& region, ChunkFit& chunk) const;
  /// Shared by fit_on_texts and fit_transform.
  FlatSequences fit(const std::vector<std::string>& texts, int threads, bool sequences);
  /// Rebuilds index_word_ and the lookup table from the counts; returns each word's index
  /// (by position in words_). `reuse`, when given, is a table of words_[0, n) with id = position
  /// + 1 (a fresh fit's first chunk): its slots become the lookup table's (build_lookup), so only
  /// the later words are hashed and inserted. The table and index_word_ are built concurrently.
  std::vector<int64_t> rebuild_index(int threads = 1, WordTable* reuse = nullptr);
  template <typename WordOfIndex>
  void build_lookup(WordTable& reuse, const std::vector<int64_t>& index_of,
                    WordOfIndex&& word_of_index);
  /// The lookup table from index_word_.
  void rebuild_lookup();
  int64_t lookup(std::string_view word) const;
  size_t find_word(std::string_view word) const;  // position in words_, or words_.size()
  /// Position of `word` in words_ by `positions` (ids = position + 1), appended to words_ (and
  /// positions) when new.
  size_t add_word(WordTable& positions, std::string_view word);
  bool is_separator(char32_t cp) const;
  /// Decodes the code point at text[i] (an ill-formed sequence reads as U+FFFD), advances i past
  /// it, and lowercases it when options_.lower: writes one or two code points, returns how many.
  size_t next_code_point(std::string_view text, size_t& i, char32_t out[2]) const;
  template <typename Emit>
  void for_each_token(std::string_view text, Emit&& emit) const;
  template <typename Buffer, typename Emit>
  void scan_words(std::string_view text, Buffer& word, Emit&& emit) const;
  /// Tokenizes `text` into `batch`, then calls resolve(key) for each word in order, prefetching
  /// the slots of `table` ahead.
  template <typename Resolve>
  void for_each_key(std::string_view text, TokenBatch& batch, const WordTable& table,
                    Resolve&& resolve) const;
  /// The vectorised scan_words (AVX2; the CPU is checked once): fills batch.lowered and the
  /// entries.
  void scan_words_avx2(std::string_view text, TokenBatch& batch) const;
  /// Whether scan_words_avx2 can run here (an x86-64 CPU with AVX2, and FM_TOKENIZER_SIMD is not
  /// "0").
  static bool simd_scanner_available();
  template <typename Emit>
  void for_each_token_general(std::string_view text, Emit&& emit) const;
  template <typename Emit>
  void for_each_char(std::string_view text, Emit&& emit) const;

  TokenizerOptions options_;
  int64_t document_count_ = 0;
  // Keras' word_counts OrderedDict: words_ in first-seen order, stats_ parallel to it,
  // word_positions() finds a word's position.
  WordList words_;
  std::vector<WordStats> stats_;
  mutable std::shared_ptr<WordPositions> word_pos_ = std::make_shared<WordPositions>();
  // index_word_[i] is the word with index i when index_used_[i]; [0] and unused indices are "".
  std::vector<std::string> index_word_;
  std::vector<char> index_used_;
  int64_t oov_index_ = 0;
  // The index for the allocation-free hot path (id = index; long words compared against
  // index_word_).
  WordTable index_table_;
  // word_index() as a map, built on demand from index_word_ (shared between copies of one
  // fitted state; a fit or load starts a new one).
  struct WordIndexCache {
    std::once_flag once;
    std::unordered_map<std::string, int64_t> map;
  };
  mutable std::shared_ptr<WordIndexCache> word_index_cache_ = std::make_shared<WordIndexCache>();
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
  // For scan_words_avx2: bit (b >> 4) of [b & 15] is set when ASCII byte b (after lowercasing) is
  // a separator; and whether that scanner is used (one-code-point split, not char_level).
  std::array<uint8_t, 16> separator_nibbles_{};
  bool simd_scan_ = false;
};

}  // namespace fm
