#pragma once
/// \file
/// Process-wide allocator settings shared by the front-ends and the benchmarks.

namespace fm {

/// Keeps freed memory in the process instead of returning it to the kernel: glibc would serve
/// blocks over 128 KiB with fresh mmap()s and trim the heap on free, so every large buffer that is
/// freed and allocated again (training tensors each step, tokenizer buffers each call) would be
/// page-faulted and zeroed again — on this VM a page fault costs microseconds, and they were a
/// third of a DP-SGD epoch and half of a repeated tokenizer pass. Call once at start-up.
void keep_freed_memory();

/// This machine's physical memory in bytes (sysconf), or 0 when it cannot be read.
double physical_memory_bytes();

}  // namespace fm
