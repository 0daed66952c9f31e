#pragma once
// Helpers shared by the libFuzzer targets in tests/fuzz/ (built with -DFMKIT_FUZZ=ON, run by
// scripts/fuzz.sh).
//
// The contract every target checks: a parser refuses bad input by throwing fm::Error (or a
// subclass), which the target catches. Any other exception escapes LLVMFuzzerTestOneInput and
// terminates the process (libFuzzer reports it with the exception's type and message), and a
// broken property calls FUZZ_CHECK, which aborts with the message; both are findings, as is
// every sanitizer report.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fm/log.h"

namespace fm_fuzz {

/// Aborts with `what` (a finding) when `condition` is false.
#define FUZZ_CHECK(condition, what)                                                          \
  do {                                                                                       \
    if (!(condition)) ::fm_fuzz::fail_check(#condition, what, __FILE__, __LINE__);           \
  } while (0)

[[noreturn]] inline void fail_check(const char* condition, const std::string& what,
                                    const char* file, int line) {
  std::fprintf(stderr, "\nFUZZ_CHECK failed at %s:%d: %s\n  %s\n", file, line, condition,
               what.c_str());
  std::fflush(stderr);
  std::abort();
}

/// Silences fmkit's logger (warnings about NUL bytes, unseen groups, ... would flood the output
/// and slow every run); call from LLVMFuzzerInitialize.
inline void quiet_logs() { fm::log::set_level(fm::log::Level::kOff); }

/// Reads option bytes from the front of the input; what is left is the document to parse. Past
/// the end every byte reads as 0, so a short input still selects the defaults.
class Input {
 public:
  Input(const uint8_t* data, std::size_t size)
      : data_(reinterpret_cast<const char*>(data)), size_(size) {}

  uint8_t byte() { return pos_ < size_ ? static_cast<uint8_t>(data_[pos_++]) : 0; }
  /// `choices[byte() % choices.size()]`.
  template <typename T>
  const T& pick(const std::vector<T>& choices) {
    return choices[byte() % choices.size()];
  }
  /// The unread bytes.
  std::string_view rest() const {
    return pos_ < size_ ? std::string_view(data_ + pos_, size_ - pos_) : std::string_view();
  }

 private:
  const char* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

/// `text` split at every `separator` (an empty text gives one empty piece).
inline std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> pieces;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = text.find(separator, start);
    pieces.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return pieces;
    start = end + 1;
  }
}

/// Whether `text` is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF):
/// an independent check of what the readers promise.
inline bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      if (b == 0xE0) lo = 0xA0;
      if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) return false;
    }
    i += len;
  }
  return true;
}

}  // namespace fm_fuzz
