// Tokenizer's public methods (state in Tokenizer::Impl), the index built after a fit, and the
// lookups that map texts to index sequences.

#include "fm/text/tokenizer.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <string>
#include <type_traits>
#include <utility>

#include "fm/error.h"
#include "fm/io/parallel.h"
#include "fm/text/unicode.h"
#include "text/tokenizer_impl.h"

namespace fm {

using text_detail::split_by_bytes;
using text_detail::visit_prefetched;

namespace {

// `options`, or fm::ConfigError when Tokenizer's constructor rejects them (see tokenizer.h).
TokenizerOptions validated(TokenizerOptions options) {
  if (options.num_words && *options.num_words < 0) {
    throw ConfigError("tokenizer.num_words must be >= 0 (got " +
                      std::to_string(*options.num_words) + ")");
  }
  if (!options.char_level && options.split.empty()) {
    throw ConfigError("tokenizer.split must not be empty unless tokenizer.char_level is true");
  }
  size_t offset = 0;
  if (!is_valid_utf8(options.filters, &offset)) {
    throw ConfigError("tokenizer.filters is not valid UTF-8 (byte " + std::to_string(offset) + ")");
  }
  if (!is_valid_utf8(options.split, &offset)) {
    throw ConfigError("tokenizer.split is not valid UTF-8 (byte " + std::to_string(offset) + ")");
  }
  if (options.oov_token && !is_valid_utf8(*options.oov_token, &offset)) {
    throw ConfigError("tokenizer.oov_token is not valid UTF-8 (byte " + std::to_string(offset) +
                      ")");
  }
  return options;
}

}  // namespace

Tokenizer::Tokenizer(TokenizerOptions options)
    : impl_(std::make_unique<Impl>(validated(std::move(options)))) {}

Tokenizer::Tokenizer(const Tokenizer& other)
    : impl_(other.impl_ ? std::make_unique<Impl>(*other.impl_) : nullptr) {}

Tokenizer& Tokenizer::operator=(const Tokenizer& other) {
  if (this != &other) impl_ = other.impl_ ? std::make_unique<Impl>(*other.impl_) : nullptr;
  return *this;
}

Tokenizer::Tokenizer(Tokenizer&& other) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&& other) noexcept = default;
Tokenizer::~Tokenizer() = default;

// As before the state moved behind a pointer: callers copy tokenizers, store them in structs and
// containers, and move them out of from_json.
static_assert(std::is_copy_constructible_v<Tokenizer> && std::is_copy_assignable_v<Tokenizer>);
static_assert(std::is_nothrow_move_constructible_v<Tokenizer> &&
              std::is_nothrow_move_assignable_v<Tokenizer>);

void Tokenizer::fit_on_texts(const std::vector<std::string>& texts, int threads) {
  impl_->fit(texts, threads, /*sequences=*/false);
}

FlatSequences Tokenizer::fit_transform(const std::vector<std::string>& texts, int threads) {
  return impl_->fit(texts, threads, /*sequences=*/true);
}

std::vector<std::string> Tokenizer::split_text(std::string_view text) const {
  return impl_->split_text(text);
}

void Tokenizer::append_sequence(std::string_view text, std::vector<int64_t>& out) const {
  impl_->append_sequence(text, out);
}

std::vector<int64_t> Tokenizer::text_to_sequence(std::string_view text) const {
  std::vector<int64_t> out;
  impl_->append_sequence(text, out);
  return out;
}

std::vector<std::vector<int64_t>> Tokenizer::texts_to_sequences(
    const std::vector<std::string>& texts) const {
  std::vector<std::vector<int64_t>> out;
  out.reserve(texts.size());
  // One shared scratch buffer, then an exact-size copy: one allocation per text, no regrowth.
  std::vector<int64_t> scratch;
  for (const std::string& text : texts) {
    scratch.clear();
    impl_->append_sequence(text, scratch);
    out.emplace_back(scratch.begin(), scratch.end());
  }
  return out;
}

FlatSequences Tokenizer::texts_to_flat_sequences(const std::vector<std::string>& texts,
                                                 int threads) const {
  const std::vector<size_t> bounds = split_by_bytes(texts, threads);
  const size_t chunks = bounds.size() - 1;
  std::vector<std::vector<int64_t>> parts(chunks);
  FlatSequences out;
  out.offsets.assign(texts.size() + 1, 0);
  run_jobs(chunks, threads, [&](size_t k) {
    for (size_t t = bounds[k]; t < bounds[k + 1]; ++t) {
      impl_->append_sequence(texts[t], parts[k]);
      out.offsets[t + 1] = static_cast<int64_t>(parts[k].size());  // end within the part
    }
  });
  size_t total = 0;
  for (const auto& part : parts) total += part.size();
  out.values.resize(total);
  int64_t base = 0;
  for (size_t k = 0; k < chunks; ++k) {
    std::copy(parts[k].begin(), parts[k].end(), out.values.begin() + base);
    for (size_t t = bounds[k]; t < bounds[k + 1]; ++t) out.offsets[t + 1] += base;
    base += static_cast<int64_t>(parts[k].size());
  }
  return out;
}

int64_t Tokenizer::vocab_size() const { return impl_->vocab_size(); }
int64_t Tokenizer::oov_index() const { return impl_->oov_index(); }
const std::unordered_map<std::string, int64_t>& Tokenizer::word_index() const {
  return impl_->word_index();
}
const std::vector<std::string>& Tokenizer::index_word() const { return impl_->index_word(); }
int64_t Tokenizer::word_count(std::string_view word) const { return impl_->word_count(word); }
int64_t Tokenizer::word_doc_count(std::string_view word) const {
  return impl_->word_doc_count(word);
}
int64_t Tokenizer::document_count() const { return impl_->document_count(); }
const TokenizerOptions& Tokenizer::options() const { return impl_->options(); }

Tokenizer::Impl::Impl(TokenizerOptions options)
    : options_(std::move(options)), scanner_(options_) {}

void Tokenizer::Impl::append_sequence(std::string_view text, std::vector<int64_t>& out) const {
  const int64_t limit = options_.num_words.value_or(0);
  thread_local TokenBatch batch;
  auto tail = [&](uint32_t index) -> std::string_view { return index_word_[index]; };
  for_each_key(text, batch, index_table_, [&](const WordTable::Key& key) {
    const WordTable::Slot* slot = index_table_.find(key, tail);
    const int64_t index = slot == nullptr ? 0 : slot->id;
    if (index != 0 && (limit == 0 || index < limit)) {
      out.push_back(index);
    } else if (oov_index_ != 0) {
      out.push_back(oov_index_);
    }
  });
}

const Tokenizer::Impl::WordTable& Tokenizer::Impl::word_positions() const {
  WordPositions& cache = *word_pos_;
  std::call_once(cache.once, [&] {
    cache.table.reset(words_.size());
    auto tail = [&](uint32_t id) -> std::string_view { return words_[id - 1]; };
    bool inserted = false;
    visit_prefetched(cache.table, 0, words_.size(), [&](size_t pos) { return words_[pos]; },
                     [&](size_t pos, const WordTable::Key& key) {
                       cache.table.find_or_insert(key, static_cast<uint32_t>(pos + 1), tail,
                                                  inserted);
                     });
  });
  return cache.table;
}

Tokenizer::Impl::WordTable Tokenizer::Impl::take_word_positions() {
  word_positions();
  WordTable table = word_pos_.use_count() == 1 ? std::move(word_pos_->table) : word_pos_->table;
  word_pos_ = std::make_shared<WordPositions>();
  return table;
}

void Tokenizer::Impl::set_word_positions(WordTable table) {
  auto cache = std::make_shared<WordPositions>();
  std::call_once(cache->once, [&] { cache->table = std::move(table); });
  word_pos_ = std::move(cache);
}

size_t Tokenizer::Impl::find_word(std::string_view word) const {
  const WordTable::Slot* slot = word_positions().find(
      WordTable::key_of(word), [&](uint32_t id) -> std::string_view { return words_[id - 1]; });
  return slot == nullptr ? words_.size() : slot->id - 1;
}

size_t Tokenizer::Impl::add_word(WordTable& positions, std::string_view word) {
  if (words_.size() >= std::numeric_limits<uint32_t>::max() - 1) {
    throw DataError("tokenizer: more than 2^32 - 2 distinct words");
  }
  bool inserted = false;
  const WordTable::Slot* slot = positions.find_or_insert(
      WordTable::key_of(word), static_cast<uint32_t>(words_.size() + 1),
      [&](uint32_t id) -> std::string_view { return words_[id - 1]; }, inserted);
  if (inserted) {
    words_.push_back(word);
    stats_.emplace_back();
  }
  return slot->id - 1;
}

std::vector<size_t> Tokenizer::Impl::order_by_count() const {
  // Descending count, ties in first-seen order (Python's stable sort). Counts are at most the
  // number of tokens seen, so a counting sort (stable, linear) usually applies.
  std::vector<size_t> order(words_.size());
  int64_t max_count = 0;
  for (const WordStats& stats : stats_) max_count = std::max(max_count, stats.count);
  if (max_count >= 0 && static_cast<uint64_t>(max_count) <= 8 * words_.size() + 4096) {
    std::vector<size_t> start(static_cast<size_t>(max_count) + 2, 0);
    for (const WordStats& stats : stats_) {
      ++start[static_cast<size_t>(max_count - std::max<int64_t>(stats.count, 0)) + 1];
    }
    for (size_t c = 1; c < start.size(); ++c) start[c] += start[c - 1];
    for (size_t pos = 0; pos < words_.size(); ++pos) {
      order[start[static_cast<size_t>(max_count - std::max<int64_t>(stats_[pos].count, 0))]++] =
          pos;
    }
  } else {
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return stats_[a].count > stats_[b].count; });
  }
  return order;
}

std::vector<int64_t> Tokenizer::Impl::rebuild_index(int threads, WordTable* reuse) {
  const std::vector<size_t> order = order_by_count();
  // Keras: word_index = dict(zip([oov] + sorted words, 1..)); when the OOV token is also a fitted
  // word, the later position wins and index 1 stays unused.
  const size_t first = options_.oov_token ? 2 : 1;
  index_word_.assign(first + order.size(), std::string());
  index_used_.assign(first + order.size(), 1);
  index_used_[0] = 0;
  if (options_.oov_token) {
    const std::string& oov = *options_.oov_token;
    bool fitted = false;
    for (size_t pos = 0; pos < words_.size() && !fitted; ++pos) fitted = words_[pos] == oov;
    if (fitted) {
      index_used_[1] = 0;
    } else {
      index_word_[1] = oov;
    }
  }
  std::vector<int64_t> index_of(words_.size(), 0);
  for (size_t i = 0; i < order.size(); ++i) index_of[order[i]] = static_cast<int64_t>(first + i);
  // Job 0 builds the lookup table (from `reuse` when given); the others copy the words into
  // index_word_, a slice each (tens of thousands of strings).
  const size_t slices = std::max<size_t>(1, std::min<size_t>(threads, words_.size() / 16384 + 1));
  const std::string no_word;
  auto word_of_index = [&](uint32_t index) -> std::string_view {
    if (index >= first) return words_[order[index - first]];
    return index == 1 && options_.oov_token ? std::string_view(*options_.oov_token) : no_word;
  };
  run_jobs(1 + slices, threads, [&](size_t job) {
    if (job == 0) {
      if (reuse != nullptr) build_lookup(*reuse, index_of, word_of_index);
      return;
    }
    const size_t s = job - 1;
    const size_t begin = words_.size() * s / slices, end = words_.size() * (s + 1) / slices;
    for (size_t pos = begin; pos < end; ++pos) {
      index_word_[static_cast<size_t>(index_of[pos])] = words_[pos];
    }
  });
  if (reuse == nullptr) {
    rebuild_lookup();
  } else {
    word_index_cache_ = std::make_shared<WordIndexCache>();
    oov_index_ = options_.oov_token ? lookup(*options_.oov_token) : 0;
  }
  return index_of;
}

template <typename WordOfIndex>
void Tokenizer::Impl::build_lookup(WordTable& reuse, const std::vector<int64_t>& index_of,
                                   WordOfIndex&& word_of_index) {
  // The reused slots hold words_[0, n) by position + 1: rewrite each id to the word's index, then
  // add the remaining words and the OOV token.
  index_table_ = std::move(reuse);
  size_t n = 0;
  for (WordTable::Slot& slot : index_table_.slots()) {
    if (slot.id == 0) continue;
    slot.id = static_cast<uint32_t>(index_of[slot.id - 1]);  // (count, last_doc: unused here)
    ++n;
  }
  bool inserted = false;
  visit_prefetched(
      index_table_, n, words_.size(), [&](size_t pos) { return words_[pos]; },
      [&](size_t pos, const WordTable::Key& key) {
        index_table_.find_or_insert(key, static_cast<uint32_t>(index_of[pos]), word_of_index,
                                    inserted);
      });
  if (options_.oov_token && index_used_[1]) {
    index_table_.find_or_insert(WordTable::key_of(*options_.oov_token), 1, word_of_index,
                                inserted);
  }
}

void Tokenizer::Impl::rebuild_lookup() {
  word_index_cache_ = std::make_shared<WordIndexCache>();
  size_t used = 0;
  for (char u : index_used_) used += u != 0;
  index_table_.reset(used);
  auto tail = [&](uint32_t index) -> std::string_view { return index_word_[index]; };
  bool inserted = false;
  for (size_t index = 1; index < index_word_.size(); ++index) {
    if (!index_used_[index]) continue;
    index_table_.find_or_insert(WordTable::key_of(index_word_[index]),
                                static_cast<uint32_t>(index), tail, inserted);
  }
  oov_index_ = options_.oov_token ? lookup(*options_.oov_token) : 0;
}

const std::unordered_map<std::string, int64_t>& Tokenizer::Impl::word_index() const {
  WordIndexCache& cache = *word_index_cache_;
  std::call_once(cache.once, [&] {
    cache.map.reserve(index_word_.size());
    for (size_t index = 1; index < index_word_.size(); ++index) {
      if (index_used_[index]) cache.map.emplace(index_word_[index], static_cast<int64_t>(index));
    }
  });
  return cache.map;
}

int64_t Tokenizer::Impl::lookup(std::string_view word) const {
  const WordTable::Slot* slot =
      index_table_.find(WordTable::key_of(word),
                        [&](uint32_t index) -> std::string_view { return index_word_[index]; });
  return slot == nullptr ? 0 : slot->id;
}

int64_t Tokenizer::Impl::vocab_size() const {
  int64_t size = index_word_.empty() ? 1 : static_cast<int64_t>(index_word_.size());
  const int64_t limit = options_.num_words.value_or(0);
  if (limit > 0) size = std::min(size, limit);
  return std::max(size, oov_index_ + 1);
}

int64_t Tokenizer::Impl::word_count(std::string_view word) const {
  const size_t pos = find_word(word);
  return pos == words_.size() ? 0 : stats_[pos].count;
}

int64_t Tokenizer::Impl::word_doc_count(std::string_view word) const {
  const size_t pos = find_word(word);
  return pos == words_.size() ? 0 : stats_[pos].docs;
}

}  // namespace fm
