/*===- HugePages.c - a compiled model's weights on huge pages ---*- C -*-===*
 *
 * A decoder reads every weight once per token, hundreds of megabytes
 * streamed from memory. On 4 KiB pages every 4 KiB of weights costs a
 * translation (a page walk, the TLB holding a few megabytes' worth), and
 * the hardware prefetchers stop at every page; on 2 MiB pages both happen
 * 512 times less often. Linux backs anonymous memory with transparent huge
 * pages where the memory is advised so (MADV_HUGEPAGE; THP "madvise" or
 * "always"), but not a shared library's read-only data, which is mapped
 * from its file in 4 KiB pages.
 *
 * The JIT allocates its large read-only sections (a model's weights) with
 * tern_huge_pages_map, unless TERN_HUGE_PAGES=0. A library tern-compile
 * wrote keeps its weights (the section tern_weights, docs/CPUPipeline.md,
 * "Memory") in its file's pages, which processes share, unless
 * TERN_HUGE_PAGES=1: tern_huge_pages then moves them onto such memory when
 * the library is loaded, a copy mremap'ed over the file's pages at the
 * same addresses, so the compiled code's addresses stay valid.
 *
 * One source for both runtimes: lib/Execution compiles it, tern-compile
 * embeds it in a library's glue with TERN_HUGE_PAGES_API hiding the
 * symbols (the glue defines _GNU_SOURCE, which mremap needs).
 *
 *===----------------------------------------------------------------------===*/

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifndef TERN_HUGE_PAGES_API
#define TERN_HUGE_PAGES_API
#endif

static const size_t tern_huge_page = (size_t)2 << 20;

/* Whether huge pages are wanted (TERN_HUGE_PAGES=1, or `fallback` when
 * it is not set; 0 turns them off) and the kernel may give them
 * (transparent huge pages not "never"). */
TERN_HUGE_PAGES_API int tern_huge_pages_enabled(int fallback) {
  const char *wanted = getenv("TERN_HUGE_PAGES");
  if (wanted && *wanted ? strcmp(wanted, "0") == 0 : !fallback)
    return 0;
  FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  if (!f)
    return 0;
  char mode[128] = {0};
  size_t read = fread(mode, 1, sizeof mode - 1, f);
  fclose(f);
  mode[read] = 0;
  return strstr(mode, "[never]") == NULL;
}

/* Anonymous read-write memory of `size` bytes (a multiple of 2 MiB) at a
 * 2 MiB boundary, advised to be backed by huge pages; NULL if not mapped
 * or not advised. Unmap with munmap(p, size). */
TERN_HUGE_PAGES_API void *tern_huge_pages_map(size_t size) {
  if (size == 0 || size % tern_huge_page)
    return NULL;
  size_t slack = tern_huge_page;
  char *mapped = (char *)mmap(NULL, size + slack, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED)
    return NULL;
  char *aligned = (char *)(((uintptr_t)mapped + tern_huge_page - 1) &
                           ~(uintptr_t)(tern_huge_page - 1));
  if (aligned > mapped)
    munmap(mapped, (size_t)(aligned - mapped));
  if (mapped + size + slack > aligned + size)
    munmap(aligned + size, (size_t)(mapped + size + slack - (aligned + size)));
  if (madvise(aligned, size, MADV_HUGEPAGE) != 0) {
    munmap(aligned, size);
    return NULL;
  }
  return aligned;
}

/* Moves the whole 2 MiB pages within [begin, end), read-only data, onto
 * memory from tern_huge_pages_map at the same addresses, read-only again,
 * if TERN_HUGE_PAGES=1. The bytes before the first and after the last
 * 2 MiB boundary stay where they are. Returns the bytes moved: 0 when there
 * is no whole huge page in the range, when huge pages are not enabled, or
 * when the kernel refuses (the data is then unchanged). */
TERN_HUGE_PAGES_API size_t tern_huge_pages(const void *begin, const void *end) {
  if (!begin || !end)
    return 0;
  uintptr_t from = ((uintptr_t)begin + tern_huge_page - 1) &
                   ~(uintptr_t)(tern_huge_page - 1);
  uintptr_t to = (uintptr_t)end & ~(uintptr_t)(tern_huge_page - 1);
  if (to <= from || !tern_huge_pages_enabled(0))
    return 0;
  size_t size = to - from;
  char *fresh = (char *)tern_huge_pages_map(size);
  if (!fresh)
    return 0;
  memcpy(fresh, (const void *)from, size);
  if (mprotect(fresh, size, PROT_READ) != 0 ||
      mremap(fresh, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)from) ==
          MAP_FAILED) {
    munmap(fresh, size);
    return 0;
  }
  return size;
}
