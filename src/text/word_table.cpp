#include "text/word_table.h"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace fm::text_detail {

namespace {
constexpr std::size_t kHugePage = std::size_t{2} << 20;
}

void* allocate_table(std::size_t bytes) {
  if (bytes < kHugePage) {
    void* p = std::malloc(std::max<std::size_t>(bytes, 1));
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  void* p = std::aligned_alloc(kHugePage, rounded);
  if (p == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  madvise(p, rounded, MADV_HUGEPAGE);  // a hint: without THP the table just uses small pages
#endif
  return p;
}

void free_table(void* p, std::size_t) noexcept { std::free(p); }

__attribute__((noinline)) uint64_t hash_long_word(const unsigned char* p, size_t n) {
  uint64_t seed = kHash0;
  size_t i = n;
  while (i > 16) {
    seed = mix(load64(p) ^ kHash1, load64(p + 8) ^ seed);
    p += 16;
    i -= 16;
  }
  return mix(kHash1 ^ n, mix(load64(p + i - 16) ^ kHash1, load64(p + i - 8) ^ seed) ^ kHash2);
}

void WordTable::reset(size_t expected) {
  size_t capacity = 16;
  while (capacity < 2 * expected + 1) capacity *= 2;
  slots_.assign(capacity, Slot{});
  mask_ = capacity - 1;
  size_ = 0;
}

}  // namespace fm::text_detail
