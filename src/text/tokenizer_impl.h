#pragma once
// Tokenizer's state and the steps over it, shared by the files that implement it:
// tokenizer.cpp (public methods, the index, lookups), tokenizer_fit.cpp (the threaded fit) and
// tokenizer_json.cpp (Keras' JSON layout). Private to src/text/.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fm/text/tokenizer.h"
#include "text/word_scanner.h"
#include "text/word_table.h"

namespace fm {

namespace text_detail {
struct FitRegion;  // tokenizer_fit.cpp
struct ChunkFit;
/// Splits texts into at most `parts` contiguous ranges of about equal bytes (and no range over
/// 2^30 bytes, so per-chunk 32-bit counters cannot overflow); returns the range boundaries.
std::vector<size_t> split_by_bytes(const std::vector<std::string>& texts, int parts);
}  // namespace text_detail

/// A tokenizer's state: its options and word scanner, the fitted words with their counts, and the
/// index with its lookup table. Copies share the caches built on demand (word positions, the
/// word_index map) of one fitted state; a fit or load gives the fitted copy new ones, so copies
/// stay independent.
class Tokenizer::Impl {
 public:
  using WordTable = text_detail::WordTable;
  using WordList = text_detail::WordList;
  using TokenBatch = text_detail::TokenBatch;

  /// `options` must be valid (Tokenizer's constructor checks them).
  explicit Impl(TokenizerOptions options);

  /// Shared by fit_on_texts and fit_transform (tokenizer_fit.cpp).
  FlatSequences fit(const std::vector<std::string>& texts, int threads, bool sequences);
  void append_sequence(std::string_view text, std::vector<int64_t>& out) const;
  std::vector<std::string> split_text(std::string_view text) const { return scanner_.split(text); }
  const std::unordered_map<std::string, int64_t>& word_index() const;
  int64_t vocab_size() const;
  int64_t word_count(std::string_view word) const;
  int64_t word_doc_count(std::string_view word) const;
  int64_t oov_index() const { return oov_index_; }
  const std::vector<std::string>& index_word() const { return index_word_; }
  int64_t document_count() const { return document_count_; }
  const TokenizerOptions& options() const { return options_; }

  // Keras' JSON layout (tokenizer_json.cpp).
  std::string to_json() const;
  /// Sets the fitted state from the "config" object of Keras' to_json() layout (whose options
  /// this tokenizer was built with). Throws fm::DataError naming the JSON path.
  void read_json(const nlohmann::ordered_json& config);

 private:
  // Per fitted word (parallel to words_): Keras' word_counts and word_docs.
  struct WordStats {
    int64_t count = 0;
    int64_t docs = 0;
  };
  using FitRegion = text_detail::FitRegion;
  using ChunkFit = text_detail::ChunkFit;
  using ChunkPositions = std::vector<std::vector<uint32_t>>;

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
  size_t find_word(std::string_view word) const;  // position in words_, or words_.size()
  /// Position of `word` in words_ by `positions` (ids = position + 1), appended to words_ (and
  /// positions) when new.
  size_t add_word(WordTable& positions, std::string_view word);

  // The threaded fit's steps (tokenizer_fit.cpp).
  /// Counts the blocks of `region` that `chunk` claims into it (and its tokens' words when
  /// chunk.keep_ids).
  void fit_chunk(const std::vector<std::string>& texts, FitRegion& region, ChunkFit& chunk) const;
  /// Adds the chunks' words and counts to words_ and stats_, in order; returns each chunk's words'
  /// positions in words_ (by local id - 1). `adopt` (a fresh fit): the first chunk's words become
  /// words_ as they are.
  ChunkPositions merge_chunks(std::vector<ChunkFit>& parts, bool adopt, int threads);
  /// The fit's jobs: finish each chunk; when `adopt`, also find the later chunks' words in the
  /// first chunk's table (into `position`).
  void finish_chunks(std::vector<ChunkFit>& parts, bool adopt, ChunkPositions& position,
                     int threads) const;
  /// The positions in words_ of `part`'s words not placed yet (kNew), added in first-seen order.
  /// `append`: they are known to be new to words_.
  void add_chunk_words(const ChunkFit& part, std::vector<uint32_t>& position, WordTable& positions,
                       bool append);
  /// fit_transform's output: every chunk's tokens mapped through the new index.
  FlatSequences fit_sequences(const std::vector<ChunkFit>& parts, const ChunkPositions& position,
                              const std::vector<int64_t>& index_of, size_t texts,
                              int threads) const;

  // The index (tokenizer.cpp).
  /// Positions in words_ by descending count, ties in first-seen order.
  std::vector<size_t> order_by_count() const;
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
  /// read_json's steps: word_counts and word_docs; word_index.
  void read_word_stats(const nlohmann::ordered_json& config);
  void read_word_index(const nlohmann::ordered_json& config);

  /// Tokenizes `text` into `batch`, then calls resolve(key) for each word in order, prefetching
  /// the slots of `table` ahead.
  template <typename Resolve>
  void for_each_key(std::string_view text, TokenBatch& batch, const WordTable& table,
                    Resolve&& resolve) const;

  TokenizerOptions options_;
  text_detail::WordScanner scanner_;
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
};

template <typename Resolve>
void Tokenizer::Impl::for_each_key(std::string_view text, TokenBatch& batch, const WordTable& table,
                                   Resolve&& resolve) const {
  const char* base = scanner_.scan(text, batch);
  constexpr size_t kAhead = 16;
  const size_t n = batch.count;
  const TokenBatch::Entry* entries = batch.entries.data();
  auto key = [&](size_t i) {
    const TokenBatch::Entry& e = entries[i];
    return WordTable::Key{e.k0, e.k1, e.hash, e.len, std::string_view(base + e.offset, e.len)};
  };
  for (size_t i = 0; i < std::min(n, kAhead); ++i) table.prefetch(key(i));
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) table.prefetch(key(i + kAhead));
    resolve(key(i));
  }
}

}  // namespace fm
