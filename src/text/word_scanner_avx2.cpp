// The vectorised word scanner (AVX2), used instead of the portable one when the CPU has AVX2 and
// the split is one code point (not char_level).
//
// Only the functions marked target("avx2") are compiled for AVX2, not the whole file (-mavx2):
// the inline functions this file shares with the portable code (the hashing of word_table.h, the
// standard library) would then be emitted with AVX2 instructions too, and the linker may keep
// that copy for every caller — a crash on a CPU without AVX2.

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "text/word_scanner.h"
#include "text/word_table.h"

#if FM_TOKENIZER_AVX2
#include <immintrin.h>
#endif

namespace fm::text_detail {

#if FM_TOKENIZER_AVX2
namespace {

bool cpu_has_avx2() {
  // FM_TOKENIZER_SIMD=0 selects the portable scanner (the tests run both).
  const char* env = std::getenv("FM_TOKENIZER_SIMD");
  if (env != nullptr && std::string_view(env) == "0") return false;
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}

// Loads the 64 bytes at p into a and b (zero padded past p + avail); returns m: bytes [0, m) are
// ASCII (m = 64 when all are and enough are left).
__attribute__((target("avx2"))) inline size_t load_step(const char* p, size_t avail, __m256i& a,
                                                        __m256i& b) {
  if (avail >= 64) {
    a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
  } else {
    alignas(32) char tail[64] = {};
    std::memcpy(tail, p, avail);
    a = _mm256_load_si256(reinterpret_cast<const __m256i*>(tail));
    b = _mm256_load_si256(reinterpret_cast<const __m256i*>(tail + 32));
  }
  const uint64_t high = static_cast<uint32_t>(_mm256_movemask_epi8(a)) |
                        static_cast<uint64_t>(static_cast<uint32_t>(_mm256_movemask_epi8(b)))
                            << 32;
  size_t m = avail < 64 ? avail : 64;
  if (high != 0) m = std::min<size_t>(m, static_cast<size_t>(__builtin_ctzll(high)));
  return m;
}

// `v` with A-Z lowercased when case_bit is 0x20 in every byte (unchanged when it is 0).
__attribute__((target("avx2"))) inline __m256i lower_ascii(__m256i v, __m256i case_bit) {
  const __m256i upper = _mm256_and_si256(_mm256_cmpgt_epi8(v, _mm256_set1_epi8('A' - 1)),
                                         _mm256_cmpgt_epi8(_mm256_set1_epi8('Z' + 1), v));
  return _mm256_add_epi8(v, _mm256_and_si256(upper, case_bit));
}

// Bit i set when ASCII byte i of `v` is not a separator: bit (x >> 4) of lo_table[x & 15] marks
// separator x (the 16-byte table in both lanes).
__attribute__((target("avx2"))) inline uint32_t word_byte_mask(__m256i v, __m256i lo_table) {
  const __m256i hi_bits = _mm256_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 0, 0, 0, 0, 0, 0, 0, 0,
                                           1, 2, 4, 8, 16, 32, 64, -128, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i hit = _mm256_and_si256(
      _mm256_shuffle_epi8(lo_table, _mm256_and_si256(v, nibble)),
      _mm256_shuffle_epi8(hi_bits, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble)));
  return static_cast<uint32_t>(
      _mm256_movemask_epi8(_mm256_cmpeq_epi8(hit, _mm256_setzero_si256())));
}

// Room kept in TokenBatch::lowered past what is written: a 64-byte store and 16 bytes of key
// loads.
constexpr size_t kRoom = 64 + 16;

// Sizes the buffers for a text of n bytes. They only grow, so they soon fit the usual text: its
// size plus kRoom covers ASCII (one byte each); non-ASCII code points may grow (an ill-formed byte
// reads as the 3-byte U+FFFD), so each step checks. Entries: a word per 6 bytes to start with,
// more when needed.
inline void size_buffers(TokenBatch& batch, size_t n) {
  if (batch.lowered.size() < n + kRoom) batch.lowered.resize(n + kRoom + n / 8);
  if (batch.entries.size() < n / 6 + 16) batch.entries.resize(n / 6 + 16);
}

// The words of one step of the lowered text, which starts at offset o: bit i of word_bytes is set
// when byte i is part of a word, of `valid` when it is part of the step. Calls emit(end) for each
// word that ends in the step; `open` and `start` carry a word that runs on from or into the next
// step.
template <typename Emit>
__attribute__((always_inline)) inline void cut_words(uint64_t word_bytes, uint64_t valid, size_t o,
                                                     bool& open, size_t& start, Emit& emit) {
  uint64_t separators = ~word_bytes & valid;
  while (true) {
    if (!open) {
      if (word_bytes == 0) break;
      const unsigned s = static_cast<unsigned>(__builtin_ctzll(word_bytes));
      start = o + s;
      open = true;
      separators &= ~uint64_t{0} << s;
    }
    if (separators == 0) break;  // the word goes on past this step
    const unsigned e = static_cast<unsigned>(__builtin_ctzll(separators));
    emit(o + e);
    open = false;
    word_bytes &= ~uint64_t{0} << e;
  }
}

}  // namespace

bool WordScanner::avx2_available() {
  static const bool available = cpu_has_avx2();
  return available;
}

// The words of `text` as slices of its lowercased copy, 64 bytes per step: two 32-byte halves
// are lowercased (ASCII A-Z), stored, and classified with a nibble-table lookup into a 64-bit mask
// of separator bytes, whose runs of zeros are the words. A non-ASCII byte ends the vectorised part
// of a step; code points from there on are decoded and lowercased one at a time (as scan_words
// does) until the next ASCII byte. (The scan's state stays in locals, the helpers inlined: the
// same loop with its state in a helper object ran 10 % more instructions.)
__attribute__((target("avx2"))) void WordScanner::scan_avx2(std::string_view text,
                                                            TokenBatch& batch) const {
  const size_t n = text.size();
  size_buffers(batch, n);
  char* out = &batch.lowered[0];
  TokenBatch::Entry* entries = batch.entries.data();
  size_t count = 0;
  size_t o = 0;          // bytes written to out
  bool open = false;     // a word is being read
  size_t start = 0;      // where it starts in out
  auto make_room = [&](size_t bytes) {
    if (o + bytes + kRoom <= batch.lowered.size()) return;
    batch.lowered.resize(2 * (o + bytes + kRoom));
    out = &batch.lowered[0];
  };
  auto emit = [&](size_t end) {
    if (count == batch.entries.size()) {
      batch.entries.resize(2 * count);
      entries = batch.entries.data();
    }
    const WordTable::Key key = WordTable::key_of_padded(out + start, end - start);
    entries[count++] = {key.k0, key.k1, key.hash, static_cast<uint32_t>(start), key.len};
  };
  const __m256i lo_table = _mm256_broadcastsi128_si256(
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(separator_nibbles_.data())));
  const __m256i case_bit = _mm256_set1_epi8(lower_ ? 0x20 : 0);
  const char* data = text.data();
  size_t i = 0;
  char32_t lowered[2];
  while (i < n) {
    __m256i a, b;
    const size_t m = load_step(data + i, n - i, a, b);
    if (m > 0) {
      make_room(64);
      const __m256i la = lower_ascii(a, case_bit);
      const __m256i lb = lower_ascii(b, case_bit);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + o), la);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + o + 32), lb);
      const uint64_t valid = m == 64 ? ~uint64_t{0} : (uint64_t{1} << m) - 1;
      const uint64_t word_bytes = (word_byte_mask(la, lo_table) |
                                   static_cast<uint64_t>(word_byte_mask(lb, lo_table)) << 32) &
                                  valid;
      cut_words(word_bytes, valid, o, open, start, emit);
      o += m;
      i += m;
    }
    // Non-ASCII code points, one at a time, up to the next ASCII byte.
    while (i < n && static_cast<unsigned char>(data[i]) >= 0x80) {
      const size_t k_count = next_code_point(text, i, lowered);
      make_room(8);  // two code points of up to 4 bytes
      for (size_t k = 0; k < k_count; ++k) {
        if (is_separator(lowered[k])) {
          if (open) emit(o);
          open = false;
        } else {
          if (!open) {
            open = true;
            start = o;
          }
          o += encode_utf8(lowered[k], out + o);
        }
      }
    }
  }
  if (open) emit(o);
  batch.count = count;
}

#else

bool WordScanner::avx2_available() { return false; }

#endif

}  // namespace fm::text_detail
