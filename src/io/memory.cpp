#include "fm/io/memory.h"

#include <malloc.h>

namespace fm {

void keep_freed_memory() {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);  // blocks up to 256 MiB come from the heap
  mallopt(M_TRIM_THRESHOLD, 1 << 30);    // and up to 1 GiB of free heap stays mapped
}

}  // namespace fm
