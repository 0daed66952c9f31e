#pragma once
// The tokenizer's hash table of words (WordTable), the word list it indexes (WordList), the hash
// and the huge-page memory behind them. Private to src/text/.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace fm::text_detail {

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

inline uint64_t load64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline uint64_t load32(const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
__extension__ typedef unsigned __int128 Uint128;  // GCC/Clang: one 64x64 -> 128-bit multiply
inline uint64_t mix(uint64_t a, uint64_t b) {
  const Uint128 r = static_cast<Uint128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

constexpr uint64_t kHash0 = 0xa0761d6478bd642full;
constexpr uint64_t kHash1 = 0xe7037ed1a0b428dbull;
constexpr uint64_t kHash2 = 0x8ebc6af09c88c6e3ull;

/// The hash of a word of n > 16 bytes (out of line: rare, and it keeps key_of small).
uint64_t hash_long_word(const unsigned char* p, size_t n);

/// The hash of a word of n <= 16 bytes from its zero-padded bytes.
inline uint64_t hash_short(uint64_t k0, uint64_t k1, uint64_t n) {
  return mix(mix(k0 ^ kHash1, k1 ^ kHash0) ^ kHash2, n ^ kHash1);
}

/// Masks that zero the bytes of a 16-byte load past a word of `len` <= 16 bytes (k0, k1).
struct PrefixMasks {
  uint64_t m0[17], m1[17];
  constexpr PrefixMasks() : m0(), m1() {
    for (int len = 0; len <= 16; ++len) {
      m0[len] = len >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * len)) - 1;
      m1[len] = len <= 8 ? 0 : len == 16 ? ~uint64_t{0} : (uint64_t{1} << (8 * (len - 8))) - 1;
    }
  }
};
inline constexpr PrefixMasks kPrefixMasks;

/// Bytes [0, min(n, 16)) of p as two little-endian words, zero padded, reading nothing past p + n.
inline void load_prefix(const unsigned char* p, size_t n, uint64_t& k0, uint64_t& k1) {
  if (n >= 16) {
    k0 = load64(p);
    k1 = load64(p + 8);
  } else if (n > 8) {
    k0 = load64(p);
    k1 = load64(p + n - 8) >> (8 * (16 - n));  // bytes 8..n-1: the top n-8 of the last 8
  } else if (n == 8) {
    k0 = load64(p);
    k1 = 0;
  } else if (n >= 4) {
    k0 = load32(p) | ((load32(p + n - 4) >> (8 * (8 - n))) << 32);
    k1 = 0;
  } else {
    k0 = n == 0 ? 0 : (uint64_t{p[0]} | (n > 1 ? uint64_t{p[1]} << 8 : 0) |
                       (n > 2 ? uint64_t{p[2]} << 16 : 0));
    k1 = 0;
  }
}

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
  const std::vector<Slot, TableAllocator<Slot>>& slots() const { return slots_; }
  /// The slots themselves, to rewrite ids in place (keys and positions must not change).
  std::vector<Slot, TableAllocator<Slot>>& slots() { return slots_; }
  /// Starts loading the slot where a search for `key` begins.
  void prefetch(const Key& key) const {
    if (!slots_.empty()) __builtin_prefetch(slots_.data() + (key.hash & mask_));
  }

 private:
  template <typename Tail>
  void grow(Tail&& tail);
  std::vector<Slot, TableAllocator<Slot>> slots_;
  uint64_t mask_ = 0;
  size_t size_ = 0;
};

/// Words back to back in one buffer: word i is bytes [ends[i], ends[i + 1]). A fit's chunks
/// collect their words this way, so the first chunk's list becomes the tokenizer's without a copy.
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

__attribute__((always_inline)) inline WordTable::Key WordTable::key_of(std::string_view word) {
  const auto* p = reinterpret_cast<const unsigned char*>(word.data());
  const size_t n = word.size();
  Key key{};
  load_prefix(p, n, key.k0, key.k1);
  key.len = static_cast<uint32_t>(std::min<size_t>(n, std::numeric_limits<uint32_t>::max()));
  // A wyhash-style hash (never stored: only this process's tables use it).
  key.hash = n > 16 ? hash_long_word(p, n) : hash_short(key.k0, key.k1, n);
  key.word = word;
  return key;
}

__attribute__((always_inline)) inline WordTable::Key WordTable::key_of_padded(const char* data,
                                                                              size_t n) {
  // key_of's key, but from whole 8-byte loads masked to the word (no branch on its length).
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  Key key{};
  key.len = static_cast<uint32_t>(n);
  key.word = std::string_view(data, n);
  if (n <= 16) {
    key.k0 = load64(p) & kPrefixMasks.m0[n];
    key.k1 = load64(p + 8) & kPrefixMasks.m1[n];
    key.hash = hash_short(key.k0, key.k1, n);
  } else {
    key.k0 = load64(p);
    key.k1 = load64(p + 8);
    key.hash = hash_long_word(p, n);
  }
  return key;
}

template <typename Tail>
const WordTable::Slot* WordTable::find(const Key& key, Tail&& tail) const {
  if (size_ == 0) return nullptr;
  uint64_t pos = key.hash & mask_;
  while (true) {
    const Slot& slot = slots_[pos];
    if (slot.id == 0) return nullptr;
    if (slot.k0 == key.k0 && slot.k1 == key.k1 && slot.len == key.len &&
        (key.len <= 16 || tail(slot.id) == key.word)) {
      return &slot;
    }
    pos = (pos + 1) & mask_;
  }
}

template <typename Tail>
void WordTable::grow(Tail&& tail) {
  std::vector<Slot, TableAllocator<Slot>> old;
  old.swap(slots_);
  const size_t size = size_;
  reset(std::max<size_t>(2 * size, 8));
  for (const Slot& slot : old) {
    if (slot.id == 0) continue;
    const uint64_t h = slot.len <= 16 ? hash_short(slot.k0, slot.k1, slot.len)
                                      : key_of(tail(slot.id)).hash;
    uint64_t pos = h & mask_;
    while (slots_[pos].id != 0) pos = (pos + 1) & mask_;
    slots_[pos] = slot;
  }
  size_ = size;
}

template <typename Tail>
WordTable::Slot* WordTable::find_or_insert(const Key& key, uint32_t next_id, Tail&& tail,
                                           bool& inserted) {
  if (2 * (size_ + 1) > slots_.size()) grow(tail);
  uint64_t pos = key.hash & mask_;
  while (true) {
    Slot& slot = slots_[pos];
    if (slot.id == 0) {
      slot.k0 = key.k0;
      slot.k1 = key.k1;
      slot.len = key.len;
      slot.id = next_id;
      ++size_;
      inserted = true;
      return &slot;
    }
    if (slot.k0 == key.k0 && slot.k1 == key.k1 && slot.len == key.len &&
        (key.len <= 16 || tail(slot.id) == key.word)) {
      inserted = false;
      return &slot;
    }
    pos = (pos + 1) & mask_;
  }
}

/// Calls visit(i, key_of(word(i))) for i in [begin, end), with the table slot of each key
/// prefetched 16 words ahead: lookups of words in no particular order are mostly cache misses,
/// and this lets them overlap.
template <typename Table, typename Word, typename Visit>
void visit_prefetched(const Table& table, size_t begin, size_t end, Word&& word, Visit&& visit) {
  constexpr size_t kAhead = 16;
  typename Table::Key ring[kAhead];
  const size_t lead = std::min(end - begin, kAhead);
  for (size_t i = begin; i < begin + lead; ++i) {
    ring[i % kAhead] = Table::key_of(word(i));
    table.prefetch(ring[i % kAhead]);
  }
  for (size_t i = begin; i < end; ++i) {
    const typename Table::Key key = ring[i % kAhead];
    if (i + kAhead < end) {
      ring[i % kAhead] = Table::key_of(word(i + kAhead));
      table.prefetch(ring[i % kAhead]);
    }
    visit(i, key);
  }
}

}  // namespace fm::text_detail
