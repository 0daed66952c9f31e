// The tokenizer's fit on one or more threads: texts shared out in regions and chunks, counted into
// per-chunk tables, merged in order into the fitted words; and fit_transform's sequences.

#include <algorithm>
#include <atomic>
#include <limits>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "fm/error.h"
#include "fm/io/parallel.h"
#include "fm/text/tokenizer.h"
#include "text/tokenizer_impl.h"

namespace fm {

namespace text_detail {

namespace {
constexpr size_t kMaxChunkBytes = size_t{1} << 30;
}

std::vector<size_t> split_by_bytes(const std::vector<std::string>& texts, int parts) {
  size_t total = 0;
  for (const auto& t : texts) total += t.size();
  size_t chunks = std::max<size_t>(1, static_cast<size_t>(std::max(parts, 1)));
  chunks = std::max(chunks, total / kMaxChunkBytes + 1);
  chunks = std::min(chunks, std::max<size_t>(texts.size(), 1));
  const size_t target = std::max<size_t>(1, (total + chunks - 1) / chunks);
  std::vector<size_t> bounds{0};
  size_t bytes = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    bytes += texts[i].size();
    if ((bytes >= target || bytes + (i + 1 < texts.size() ? texts[i + 1].size() : 0) >
                                kMaxChunkBytes) &&
        i + 1 < texts.size()) {
      bounds.push_back(i + 1);
      bytes = 0;
    }
  }
  bounds.push_back(texts.size());
  return bounds;
}

/// Texts [first, last) fitted by one chunk, or by a front and a back chunk from both ends: its
/// blocks of texts are claimed one at a time, the front chunk taking them in order from the start
/// and the back chunk from the end, so the two finish together however uneven the texts or the
/// two CPUs are (a fixed split waited for the slower half).
struct FitRegion {
  size_t first = 0, last = 0;
  size_t bytes = 0;   // of its texts
  size_t blocks = 1;  // block b = texts [begin_of(b), begin_of(b + 1))
  bool paired = false;
  std::atomic<size_t> claimed{0};
  size_t begin_of(size_t b) const { return first + (last - first) * b / blocks; }
};

/// One thread's share of a fit: the words of its texts in the order it met them, their counts,
/// and (for fit_transform) every token's word.
struct ChunkFit {
  WordTable table;                  // id = local word id (1-based), with count and last_doc
  WordList words;                   // in id order (first met first)
  std::vector<uint32_t> docs;       // per word: texts of the chunk that contain it
  std::vector<uint32_t> counts;     // per word: its tokens (read off the table by finish())
  bool keep_ids = false;            // (always for a back chunk: finish() reads them)
  bool back = false;                // fits its region from the end
  std::vector<uint32_t> ids;        // local id of every token, when keep_ids
  std::vector<uint32_t> lengths;    // tokens per text, when keep_ids
  // The texts fitted, in fitting order (ids and lengths follow it): [first_text, last_text), whose
  // tokens' ids start at ids[first_id].
  struct Span {
    size_t first_text, last_text, first_id;
  };
  std::vector<Span> spans;
  // A back chunk meets its blocks last to first, so the order it met its words in is not the
  // texts' order: `order` is its local ids in the texts' order (set by finish()). Empty for a
  // front chunk, whose id order is that order.
  std::vector<uint32_t> order;
  std::string_view word(uint32_t id) const { return words[id - 1]; }
  uint32_t id_at(size_t j) const { return order.empty() ? static_cast<uint32_t>(j + 1) : order[j]; }
  /// ids[first, last) are the tokens of spans[s].
  std::pair<size_t, size_t> id_range(size_t s) const {
    return {spans[s].first_id, s + 1 < spans.size() ? spans[s + 1].first_id : ids.size()};
  }
  /// After the fit: `counts` from the table, and a back chunk's `order`.
  void finish();
};

void ChunkFit::finish() {
  // (By docs: a fresh fit may have taken `words` away already.)
  const size_t n = docs.size();
  counts.assign(n, 0);
  for (const WordTable::Slot& slot : table.slots()) {
    if (slot.id != 0) counts[slot.id - 1] = slot.count;
  }
  if (!back) return;
  // Reads the tokens in the texts' order (spans last to first, each in order) until every word was
  // met: cheaper than tracking each word's first text and token while fitting (a hot loop).
  order.clear();
  order.reserve(n);
  std::vector<uint8_t> seen(n + 1, 0);
  for (size_t s = spans.size(); s-- > 0 && order.size() < n;) {
    const auto [first, last] = id_range(s);
    for (size_t i = first; i < last; ++i) {
      if (!seen[ids[i]]) {
        seen[ids[i]] = 1;
        order.push_back(ids[i]);
      }
    }
  }
}

namespace {

// A word's position in words_ not known yet.
constexpr uint32_t kNew = std::numeric_limits<uint32_t>::max();

// The regions of a fit on `threads` threads: one per chunk, or (paired) one per two chunks.
std::vector<FitRegion> plan_regions(const std::vector<std::string>& texts, int threads,
                                    bool paired) {
  const std::vector<size_t> bounds = split_by_bytes(texts, paired ? (threads + 1) / 2 : threads);
  std::vector<FitRegion> regions(bounds.size() - 1);
  for (size_t r = 0; r < regions.size(); ++r) {
    FitRegion& region = regions[r];
    region.first = bounds[r];
    region.last = bounds[r + 1];
    for (size_t t = region.first; t < region.last; ++t) region.bytes += texts[t].size();
    region.paired = paired;
    // Blocks small enough that the two chunks finish within a few hundred microseconds of each
    // other, few enough that claiming them costs nothing.
    region.blocks = paired ? std::min<size_t>(region.last - region.first, 512) : 1;
  }
  return regions;
}

}  // namespace

}  // namespace text_detail

using text_detail::kNew;
using text_detail::visit_prefetched;

FlatSequences Tokenizer::Impl::fit(const std::vector<std::string>& texts, int threads,
                                   bool sequences) {
  // Count contiguous ranges of texts in parallel, then merge them in order: a word new to range k
  // was first seen there, so the merged first-seen order (Keras' tie order) is the sequential one.
  // With two or more threads each region of texts is fitted by a front and a back chunk that meet
  // where they meet (FitRegion); chunk 2r is region r's front, 2r + 1 its back.
  if (texts.size() >= std::numeric_limits<uint32_t>::max()) {
    throw DataError("tokenizer: more than 2^32 - 2 texts in one fit");
  }
  const bool paired = threads >= 2 && texts.size() >= 2;
  std::vector<FitRegion> regions = text_detail::plan_regions(texts, threads, paired);
  const size_t chunks = regions.size() * (paired ? 2 : 1);
  std::vector<ChunkFit> parts(chunks);
  run_jobs(chunks, threads, [&](size_t k) {
    parts[k].back = paired && k % 2 == 1;
    parts[k].keep_ids = sequences || parts[k].back;
    fit_chunk(texts, regions[paired ? k / 2 : k], parts[k]);
  });
  const bool adopt = words_.empty();
  const ChunkPositions position = merge_chunks(parts, adopt, threads);
  for (size_t k = adopt ? 1 : 0; k < chunks; ++k) {
    parts[k].table = WordTable();
    parts[k].words = WordList();
  }
  document_count_ += static_cast<int64_t>(texts.size());
  const std::vector<int64_t> index_of =
      rebuild_index(threads, adopt ? &parts[0].table : nullptr);
  parts[0].table = WordTable();
  parts[0].words = WordList();
  if (!sequences) return FlatSequences();
  return fit_sequences(parts, position, index_of, texts.size(), threads);
}

void Tokenizer::Impl::fit_chunk(const std::vector<std::string>& texts, FitRegion& region,
                                ChunkFit& chunk) const {
  // Sized for the distinct words of a typical text of this many bytes (about one per 100 bytes
  // for mail-sized corpora): fewer rehashes as it grows.
  const size_t bytes = region.paired ? region.bytes / 2 : region.bytes;
  chunk.table.reset(std::min<size_t>(std::max<size_t>(bytes / 128, 1024), size_t{1} << 20));
  if (chunk.keep_ids) {
    // About one token per 6 bytes of mail text; a guess too low only costs regrowth.
    chunk.ids.reserve(bytes / 5);
    chunk.lengths.reserve((region.last - region.first) / (region.paired ? 2 : 1));
  }
  auto tail = [&](uint32_t id) { return chunk.word(id); };
  TokenBatch batch;
  uint32_t doc = 0;
  for (size_t taken = 0; region.claimed.fetch_add(1, std::memory_order_relaxed) < region.blocks;
       ++taken) {
    const size_t b = chunk.back ? region.blocks - 1 - taken : taken;
    const size_t first = region.begin_of(b), last = region.begin_of(b + 1);
    chunk.spans.push_back({first, last, chunk.ids.size()});
    for (size_t t = first; t < last; ++t) {
      ++doc;
      const size_t before = chunk.ids.size();
      for_each_key(texts[t], batch, chunk.table, [&](const WordTable::Key& key) {
        bool inserted = false;
        WordTable::Slot* slot = chunk.table.find_or_insert(
            key, static_cast<uint32_t>(chunk.words.size() + 1), tail, inserted);
        if (inserted) {
          chunk.words.push_back(key.word);
          chunk.docs.push_back(0);
        }
        ++slot->count;
        if (slot->last_doc != doc) {
          slot->last_doc = doc;
          ++chunk.docs[slot->id - 1];
        }
        if (chunk.keep_ids) chunk.ids.push_back(slot->id);
      });
      if (chunk.keep_ids) chunk.lengths.push_back(static_cast<uint32_t>(chunk.ids.size() - before));
    }
  }
}

Tokenizer::Impl::ChunkPositions Tokenizer::Impl::merge_chunks(std::vector<ChunkFit>& parts,
                                                              bool adopt, int threads) {
  // A fresh fit adopts the first chunk whole (its words, in id order, are the first-seen order)
  // and finds the later chunks' words in that chunk's table, in parallel; only words new to the
  // first chunk are then merged one by one. A refit merges every chunk through the positions of
  // the words seen before.
  const size_t chunks = parts.size();
  ChunkPositions position(chunks);  // position[k][local id - 1] = the word's position in words_
  for (size_t k = 0; k < chunks; ++k) position[k].assign(parts[k].docs.size(), kNew);
  WordTable positions;  // adopt: words new since the first chunk; else: all words
  if (adopt) {
    words_ = std::move(parts[0].words);  // (the chunk's ids are now positions + 1 in words_)
    stats_.resize(words_.size());
    std::iota(position[0].begin(), position[0].end(), uint32_t{0});
  } else {
    positions = take_word_positions();
  }
  finish_chunks(parts, adopt, position, threads);
  for (size_t k = 0; k < chunks; ++k) {
    add_chunk_words(parts[k], position[k], positions, /*append=*/adopt && chunks == 2);
  }
  if (adopt) {
    word_pos_ = std::make_shared<WordPositions>();  // built from words_ when asked for
  } else {
    set_word_positions(std::move(positions));
  }
  return position;
}

void Tokenizer::Impl::finish_chunks(std::vector<ChunkFit>& parts, bool adopt,
                                    ChunkPositions& position, int threads) const {
  // Jobs: finish each chunk (its counts, a back chunk's order); in a fresh fit, then the pieces of
  // the later chunks' words (up to 4096 each) to look up in the first chunk's table.
  const size_t chunks = parts.size();
  constexpr size_t kPiece = 4096;
  std::vector<std::pair<size_t, size_t>> pieces;  // (chunk, first local id - 1)
  for (size_t k = 1; adopt && k < chunks; ++k) {
    for (size_t first = 0; first < position[k].size(); first += kPiece) {
      pieces.push_back({k, first});
    }
  }
  const WordTable& head = parts[0].table;
  auto tail = [&](uint32_t id) { return words_[id - 1]; };
  run_jobs(chunks + pieces.size(), threads, [&](size_t job) {
    if (job < chunks) {
      parts[job].finish();
      return;
    }
    const size_t k = pieces[job - chunks].first;  // not a structured binding: the lambdas
    const size_t first = pieces[job - chunks].second;  // below capture it (clang, C++17)
    const size_t last = std::min(first + kPiece, position[k].size());
    visit_prefetched(
        head, first, last, [&](size_t j) { return parts[k].word(static_cast<uint32_t>(j + 1)); },
        [&](size_t j, const WordTable::Key& key) {
          const WordTable::Slot* slot = head.find(key, tail);
          if (slot != nullptr) position[k][j] = slot->id - 1;
        });
  });
}

void Tokenizer::Impl::add_chunk_words(const ChunkFit& part, std::vector<uint32_t>& position,
                                      WordTable& positions, bool append) {
  const size_t n = part.docs.size();
  for (size_t j = 0; j < n; ++j) {  // in first-seen order
    const uint32_t id = part.id_at(j);
    uint32_t& pos = position[id - 1];
    if (pos != kNew) continue;
    if (append) {
      // New to the first chunk, and the only other chunk's words are distinct: append.
      pos = static_cast<uint32_t>(words_.size());
      words_.push_back(part.word(id));
      stats_.emplace_back();
    } else {
      pos = static_cast<uint32_t>(add_word(positions, part.word(id)));
    }
  }
  for (uint32_t id = 1; id <= n; ++id) {
    WordStats& stats = stats_[position[id - 1]];
    stats.docs += part.docs[id - 1];
    stats.count += part.counts[id - 1];
  }
}

FlatSequences Tokenizer::Impl::fit_sequences(const std::vector<ChunkFit>& parts,
                                             const ChunkPositions& position,
                                             const std::vector<int64_t>& index_of, size_t texts,
                                             int threads) const {
  // Each chunk's local ids -> the sequence value (0 = dropped), as texts_to_sequences maps them.
  const size_t chunks = parts.size();
  const int64_t limit = options_.num_words.value_or(0);
  std::vector<std::vector<int64_t>> value(chunks);
  bool drops = false;  // some word maps to nothing (no OOV token)
  for (size_t k = 0; k < chunks; ++k) {
    value[k].resize(position[k].size());
    for (size_t j = 0; j < position[k].size(); ++j) {
      const int64_t index = index_of[position[k][j]];
      value[k][j] = (limit == 0 || index < limit) ? index : oov_index_;
      drops |= value[k][j] == 0;
    }
  }
  // Kept tokens per text (all of them unless some word maps to nothing), then each range writes its
  // part of one flat buffer.
  FlatSequences out;
  out.offsets.assign(texts + 1, 0);
  run_jobs(chunks, threads, [&](size_t k) {
    const ChunkFit& part = parts[k];
    const uint32_t* id = part.ids.data();  // (the spans' tokens follow each other)
    const uint32_t* length = part.lengths.data();
    for (const ChunkFit::Span& span : part.spans) {
      for (size_t t = span.first_text; t < span.last_text; ++t, ++length) {
        int64_t kept = *length;
        if (drops) {
          kept = std::count_if(id, id + *length, [&](uint32_t i) { return value[k][i - 1] != 0; });
        }
        id += *length;
        out.offsets[t + 1] = kept;
      }
    }
  });
  for (size_t t = 0; t < texts; ++t) out.offsets[t + 1] += out.offsets[t];
  out.values.resize(static_cast<size_t>(out.offsets.back()));
  run_jobs(chunks, threads, [&](size_t k) {
    const ChunkFit& part = parts[k];
    const int64_t* map = value[k].data();
    for (size_t s = 0; s < part.spans.size(); ++s) {
      int64_t* dest = out.values.data() + out.offsets[part.spans[s].first_text];
      const auto [first, last] = part.id_range(s);
      for (size_t i = first; i < last; ++i) {
        const int64_t v = map[part.ids[i] - 1];
        if (v != 0) *dest++ = v;  // (a branchless store would write past this span's share)
      }
    }
  });
  return out;
}

}  // namespace fm
