#pragma once
/// \file
/// Index sequences of many texts in one buffer (the output of the tokenizer's batch calls, the
/// input of pad_sequences and of the dataset encoder).

#include <cstdint>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace fm {

/// std::allocator whose resize(n) leaves new elements default-initialised (for int64_t: not
/// written), for buffers that are filled right after they are sized.
template <typename T>
struct DefaultInitAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  DefaultInitAllocator() = default;
  template <typename U>
  DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}
  template <typename U>
  void construct(U* p) noexcept(noexcept(::new (static_cast<void*>(p)) U)) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

/// Index sequences of many texts back to back: text i is values[offsets[i], offsets[i + 1]).
/// One allocation for all texts instead of one per text.
struct FlatSequences {
  std::vector<int64_t, DefaultInitAllocator<int64_t>> values;
  std::vector<int64_t> offsets{0};  ///< size() + 1 entries
  int64_t size() const { return static_cast<int64_t>(offsets.size()) - 1; }
  int64_t length(int64_t i) const { return offsets[i + 1] - offsets[i]; }
  const int64_t* data(int64_t i) const { return values.data() + offsets[i]; }
};

}  // namespace fm
