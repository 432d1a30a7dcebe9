//===- HugePages.h - a compiled model's weights on huge pages ---*- C++ -*-===//
//
// Weights streamed once per token from memory read faster from 2 MiB pages
// than from 4 KiB ones (lib/Execution/HugePages.c). The JIT maps its large
// read-only sections with tern_huge_pages_map (unless TERN_HUGE_PAGES=0);
// tern-compile's libraries move their weights with tern_huge_pages when
// loaded, from the same source in their glue, if TERN_HUGE_PAGES=1.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_EXECUTION_HUGEPAGES_H
#define TERN_EXECUTION_HUGEPAGES_H

#include <cstddef>
#include <cstdint>

namespace mlir::tern {
/// The section optimizeForCPU gives a model's large constants (its
/// weights), which a library tern-compile wrote moves onto huge pages when
/// it is loaded (through the linker's __start_ and __stop_ symbols).
inline constexpr const char *kWeightsSection = "tern_weights";
/// Constants of this many bytes and more go there.
inline constexpr uint64_t kWeightsSectionMinBytes = uint64_t(64) << 10;
} // namespace mlir::tern

extern "C" {
/// Whether huge pages are wanted (TERN_HUGE_PAGES=1, or `fallback` when it
/// is not set; 0 turns them off) and the kernel may give them (transparent
/// huge pages not "never").
int tern_huge_pages_enabled(int fallback);
/// Anonymous read-write memory of `size` bytes (a multiple of 2 MiB) at a
/// 2 MiB boundary, advised to be backed by huge pages; null if not mapped
/// or not advised. Unmapped with munmap.
void *tern_huge_pages_map(size_t size);
/// Moves the whole 2 MiB pages within [begin, end), read-only data, onto
/// memory from tern_huge_pages_map at the same addresses, if
/// TERN_HUGE_PAGES=1; returns the bytes moved (0: none, the data
/// unchanged).
size_t tern_huge_pages(const void *begin, const void *end);
}

#endif // TERN_EXECUTION_HUGEPAGES_H
